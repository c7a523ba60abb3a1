/** The core schema migrations (module "core" in schema_migrations), applied in order. Never edit a shipped one. */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    model_name TEXT NOT NULL,
    engine TEXT NOT NULL,
    engine_params TEXT NOT NULL,
    gpu_type TEXT NOT NULL,
    gpu_count INTEGER NOT NULL,
    replicas INTEGER NOT NULL,
    zone TEXT NOT NULL,
    status TEXT NOT NULL,
    status_details TEXT NOT NULL DEFAULT '',
    max_ongoing_requests INTEGER NOT NULL,
    max_queued_requests INTEGER NOT NULL,
    queue_timeout_ms INTEGER NOT NULL,
    drain_timeout_ms INTEGER NOT NULL,
    autoscale TEXT,
    labels TEXT NOT NULL DEFAULT '{}',
    api_key_hash BLOB NOT NULL,
    api_key_sealed TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 1,
    ever_ready INTEGER NOT NULL DEFAULT 0,
    deleting INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    state_reason TEXT NOT NULL DEFAULT '',
    gpus TEXT NOT NULL DEFAULT '[]',
    pid INTEGER,
    port INTEGER,
    generation INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    ready_at INTEGER,
    stopped_at INTEGER,
    cold_start_ms INTEGER,
    exit_info TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX replicas_by_deployment ON replicas(deployment_id, state);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
  );
  CREATE INDEX events_by_deployment ON events(deployment_id, at);
  CREATE TABLE gpu_quotas (
    gpu_type TEXT PRIMARY KEY,
    max_gpus INTEGER NOT NULL
  );
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // the replica process's start, recorded at spawn: a pid reused by another program is not adopted or signalled
  `ALTER TABLE replicas ADD COLUMN pid_start TEXT;`,
  // a rotated key's predecessor, accepted until previous_key_until (ms) so clients can switch over
  `ALTER TABLE deployments ADD COLUMN previous_key_hash BLOB;
   ALTER TABLE deployments ADD COLUMN previous_key_until INTEGER;`,
  // the controller's bookkeeping in the replica rows, so a restart or failover keeps it: when a replica started
  // draining (its drain deadline), and a failed replica's place in its deployment's crash backoff
  `ALTER TABLE replicas ADD COLUMN drain_started_at INTEGER;
   ALTER TABLE replicas ADD COLUMN failure_streak INTEGER;
   ALTER TABLE replicas ADD COLUMN retry_at INTEGER;`,
];
