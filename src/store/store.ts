import type { Db } from './db.js';
import type { Deployment, Replica, ReplicaState } from '../domain/types.js';
import type { AutoscaleSpec } from '../autoscaler/types.js';

/** A stored deployment with the bookkeeping the reconciler needs. */
export interface DeploymentRow extends Deployment {
  everReady: boolean;
  deleting: boolean;
}

/** A stored replica with the controller's bookkeeping, kept in its row so a restart or failover keeps it. */
export interface ReplicaRow extends Replica {
  /** when it started draining (its drain deadline counts from here); null: not draining */
  drainStartedAt?: number | null;
  /** a failed replica: how many failures of its deployment in a row this one makes (a ready replica ends a streak) */
  failureStreak?: number | null;
  /** a failed replica: no replacement is created before this time (crash backoff) */
  retryAt?: number | null;
  /** sleeping replicas (src/controller/sleepers.ts): when it went to sleep, the host RAM it holds, its last wake (ms) */
  sleptAt?: number | null;
  sleepRamBytes?: number | null;
  wakeMs?: number | null;
}

export interface EventRow {
  id: number;
  deploymentId: string;
  at: number;
  kind: string;
  message: string;
  data: unknown;
}

const toDeployment = (r: any): DeploymentRow => ({
  id: r.id,
  name: r.name,
  modelName: r.model_name,
  engine: r.engine,
  engineParams: r.engine_params,
  gpuType: r.gpu_type,
  gpuCount: r.gpu_count,
  ...(r.gpu_memory_mb ? { gpuMemoryMb: r.gpu_memory_mb } : {}),
  replicas: r.replicas,
  zone: r.zone,
  status: r.status,
  statusDetails: r.status_details,
  maxOngoingRequests: r.max_ongoing_requests,
  maxQueuedRequests: r.max_queued_requests,
  queueTimeoutMs: r.queue_timeout_ms,
  drainTimeoutMs: r.drain_timeout_ms,
  autoscale: r.autoscale ? (JSON.parse(r.autoscale) as AutoscaleSpec) : null,
  labels: JSON.parse(r.labels),
  apiKeyHash: r.api_key_hash,
  apiKeySealed: r.api_key_sealed,
  previousKeyHash: r.previous_key_hash ?? null,
  previousKeyUntil: r.previous_key_until ?? null,
  generation: r.generation,
  everReady: !!r.ever_ready,
  deleting: !!r.deleting,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toReplica = (r: any): ReplicaRow => ({
  id: r.id,
  deploymentId: r.deployment_id,
  state: r.state,
  stateReason: r.state_reason,
  gpus: JSON.parse(r.gpus),
  pid: r.pid,
  pidStart: r.pid_start,
  port: r.port,
  generation: r.generation,
  createdAt: r.created_at,
  startedAt: r.started_at,
  readyAt: r.ready_at,
  stoppedAt: r.stopped_at,
  coldStartMs: r.cold_start_ms,
  exitInfo: r.exit_info,
  drainStartedAt: r.drain_started_at ?? null,
  failureStreak: r.failure_streak ?? null,
  retryAt: r.retry_at ?? null,
  sleptAt: r.slept_at ?? null,
  sleepRamBytes: r.sleep_ram_bytes ?? null,
  wakeMs: r.wake_ms ?? null,
});

const DEPLOYMENT_COLUMNS: Record<string, string> = {
  modelName: 'model_name',
  engineParams: 'engine_params',
  replicas: 'replicas',
  status: 'status',
  statusDetails: 'status_details',
  maxOngoingRequests: 'max_ongoing_requests',
  maxQueuedRequests: 'max_queued_requests',
  queueTimeoutMs: 'queue_timeout_ms',
  drainTimeoutMs: 'drain_timeout_ms',
  autoscale: 'autoscale',
  labels: 'labels',
  apiKeyHash: 'api_key_hash',
  apiKeySealed: 'api_key_sealed',
  previousKeyHash: 'previous_key_hash',
  previousKeyUntil: 'previous_key_until',
  generation: 'generation',
  everReady: 'ever_ready',
  deleting: 'deleting',
  updatedAt: 'updated_at',
};

const REPLICA_COLUMNS: Record<string, string> = {
  state: 'state',
  stateReason: 'state_reason',
  gpus: 'gpus',
  pid: 'pid',
  pidStart: 'pid_start',
  port: 'port',
  startedAt: 'started_at',
  readyAt: 'ready_at',
  stoppedAt: 'stopped_at',
  coldStartMs: 'cold_start_ms',
  exitInfo: 'exit_info',
  drainStartedAt: 'drain_started_at',
  failureStreak: 'failure_streak',
  retryAt: 'retry_at',
  sleptAt: 'slept_at',
  sleepRamBytes: 'sleep_ram_bytes',
  wakeMs: 'wake_ms',
};

function encode(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

/** A deployment's events are kept 30 days, and at most 10,000 of them (the newest). */
export const EVENTS_MAX_AGE_MS = 30 * 86_400_000;
export const EVENTS_MAX_ROWS = 10_000;

/** The one place that reads and writes state. Synchronous (better-sqlite3): each call is one transaction. */
export class Store {
  constructor(readonly db: Db) {}

  insertDeployment(d: DeploymentRow): void {
    this.db
      .prepare(
        `INSERT INTO deployments (id, name, model_name, engine, engine_params, gpu_type, gpu_count, replicas, zone, status,
          status_details, max_ongoing_requests, max_queued_requests, queue_timeout_ms, drain_timeout_ms, autoscale, labels,
          api_key_hash, api_key_sealed, previous_key_hash, previous_key_until, generation, ever_ready, deleting, created_at, updated_at)
         VALUES (@id, @name, @modelName, @engine, @engineParams, @gpuType, @gpuCount, @replicas, @zone, @status,
          @statusDetails, @maxOngoingRequests, @maxQueuedRequests, @queueTimeoutMs, @drainTimeoutMs, @autoscale, @labels,
          @apiKeyHash, @apiKeySealed, @previousKeyHash, @previousKeyUntil, @generation, @everReady, @deleting, @createdAt, @updatedAt)`,
      )
      .run(Object.fromEntries(Object.entries({ previousKeyHash: null, previousKeyUntil: null, ...d }).map(([k, v]) => [k, encode(v)])));
  }

  updateDeployment(id: string, patch: Partial<DeploymentRow>): void {
    const keys = Object.keys(patch).filter((k) => DEPLOYMENT_COLUMNS[k]);
    if (!keys.length) return;
    const sql = `UPDATE deployments SET ${keys.map((k) => `${DEPLOYMENT_COLUMNS[k]} = @${k}`).join(', ')} WHERE id = @id`;
    const params: Record<string, unknown> = { id };
    for (const k of keys) params[k] = encode((patch as Record<string, unknown>)[k]);
    this.db.prepare(sql).run(params);
  }

  deleteDeployment(id: string): void {
    this.db.prepare('DELETE FROM deployments WHERE id = ?').run(id);
  }

  getDeploymentByName(name: string): DeploymentRow | undefined {
    const r = this.db.prepare('SELECT * FROM deployments WHERE name = ?').get(name);
    return r ? toDeployment(r) : undefined;
  }

  getDeployment(id: string): DeploymentRow | undefined {
    const r = this.db.prepare('SELECT * FROM deployments WHERE id = ?').get(id);
    return r ? toDeployment(r) : undefined;
  }

  listDeployments(): DeploymentRow[] {
    return this.db.prepare('SELECT * FROM deployments ORDER BY name').all().map(toDeployment);
  }

  insertReplica(r: ReplicaRow): void {
    this.db
      .prepare(
        `INSERT INTO replicas (id, deployment_id, state, state_reason, gpus, pid, pid_start, port, generation, created_at, started_at,
          ready_at, stopped_at, cold_start_ms, exit_info, drain_started_at, failure_streak, retry_at)
         VALUES (@id, @deploymentId, @state, @stateReason, @gpus, @pid, @pidStart, @port, @generation, @createdAt, @startedAt,
          @readyAt, @stoppedAt, @coldStartMs, @exitInfo, @drainStartedAt, @failureStreak, @retryAt)`,
      )
      .run(
        Object.fromEntries(Object.entries({ pidStart: null, drainStartedAt: null, failureStreak: null, retryAt: null, ...r }).map(([k, v]) => [k, encode(v)])),
      );
  }

  updateReplica(id: string, patch: Partial<ReplicaRow>): void {
    const keys = Object.keys(patch).filter((k) => REPLICA_COLUMNS[k]);
    if (!keys.length) return;
    const sql = `UPDATE replicas SET ${keys.map((k) => `${REPLICA_COLUMNS[k]} = @${k}`).join(', ')} WHERE id = @id`;
    const params: Record<string, unknown> = { id };
    for (const k of keys) params[k] = encode((patch as Record<string, unknown>)[k]);
    this.db.prepare(sql).run(params);
  }

  /** Replicas of a deployment in the given states (all live ones when omitted), oldest first. */
  listReplicas(deploymentId: string, states?: readonly ReplicaState[]): ReplicaRow[] {
    const rows = this.db.prepare('SELECT * FROM replicas WHERE deployment_id = ? ORDER BY created_at, id').all(deploymentId).map(toReplica);
    return states ? rows.filter((r) => states.includes(r.state)) : rows;
  }

  /** Every replica holding GPUs or a process, across deployments (for placement and adoption). */
  listLiveReplicas(): ReplicaRow[] {
    return this.db.prepare(`SELECT * FROM replicas WHERE state IN ('pending','starting','ready','draining') ORDER BY created_at`).all().map(toReplica);
  }

  /** Measured cold starts of a deployment's recent replicas, newest first. */
  recentColdStarts(deploymentId: string, limit = 10): number[] {
    return this.db
      .prepare('SELECT cold_start_ms FROM replicas WHERE deployment_id = ? AND cold_start_ms IS NOT NULL ORDER BY ready_at DESC LIMIT ?')
      .all(deploymentId, limit)
      .map((r: any) => r.cold_start_ms as number);
  }

  /** Drops stopped/failed replica rows beyond the newest `keep` per deployment. */
  pruneReplicas(deploymentId: string, keep = 50): void {
    this.db
      .prepare(
        `DELETE FROM replicas WHERE deployment_id = ? AND state IN ('stopped','failed') AND id NOT IN (
           SELECT id FROM replicas WHERE deployment_id = ? AND state IN ('stopped','failed') ORDER BY created_at DESC LIMIT ?)`,
      )
      .run(deploymentId, deploymentId, keep);
  }

  addEvent(deploymentId: string, at: number, kind: string, message: string, data?: unknown): void {
    this.db
      .prepare('INSERT INTO events (deployment_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)')
      .run(deploymentId, at, kind, message, data === undefined ? null : JSON.stringify(data));
  }

  listEvents(deploymentId: string, opts: { kind?: string; limit?: number; since?: number } = {}): EventRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM events WHERE deployment_id = ? AND at >= ? ${opts.kind ? 'AND kind = ?' : ''} ORDER BY id DESC LIMIT ?`)
      .all(...[deploymentId, opts.since ?? 0, ...(opts.kind ? [opts.kind] : []), opts.limit ?? 100]) as any[];
    return rows
      .reverse()
      .map((r) => ({ id: r.id, deploymentId: r.deployment_id, at: r.at, kind: r.kind, message: r.message, data: r.data ? JSON.parse(r.data) : null }));
  }

  /** Drops a deployment's events older than `maxAgeMs`, then all but its newest `maxRows`. */
  pruneEvents(deploymentId: string, now: number, maxAgeMs = EVENTS_MAX_AGE_MS, maxRows = EVENTS_MAX_ROWS): void {
    this.db.prepare('DELETE FROM events WHERE deployment_id = ? AND at < ?').run(deploymentId, now - maxAgeMs);
    this.db
      .prepare('DELETE FROM events WHERE deployment_id = ? AND id <= (SELECT id FROM events WHERE deployment_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)')
      .run(deploymentId, deploymentId, maxRows);
  }

  deleteEvents(deploymentId: string): void {
    this.db.prepare('DELETE FROM events WHERE deployment_id = ?').run(deploymentId);
  }

  getQuotas(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT gpu_type, max_gpus FROM gpu_quotas').all() as any[]) out[r.gpu_type] = r.max_gpus;
    return out;
  }

  setQuota(gpuType: string, max: number | null): void {
    if (max === null) this.db.prepare('DELETE FROM gpu_quotas WHERE gpu_type = ?').run(gpuType);
    else
      this.db
        .prepare('INSERT INTO gpu_quotas (gpu_type, max_gpus) VALUES (?, ?) ON CONFLICT(gpu_type) DO UPDATE SET max_gpus = excluded.max_gpus')
        .run(gpuType, max);
  }

  getSetting(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as any)?.value;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A transaction that survives power loss once it returns: the WAL is synced at its commit
   * (`synchronous = FULL`), where the file's other writes (`NORMAL`) may lose their last commits to a power
   * loss. For writes a client is told of and cannot redo: an API key created or rotated.
   */
  durableTransaction<T>(fn: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return this.db.transaction(fn)();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }
}
