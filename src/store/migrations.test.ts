import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDb } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { SCHEMA } from './schema.js';
import { Store } from './store.js';
import { deploymentRow } from '../test/rows.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const columns = (db: Database.Database, table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);

test('an empty file gets every core table, in WAL mode, with the applied version recorded; reopening applies nothing again', (t) => {
  const path = join(tempDir(t), 'sub', 'state.db');
  const db = openDb(path, SCHEMA);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );
  for (const name of ['deployments', 'events', 'gpu_quotas', 'replicas', 'schema_migrations', 'settings'])
    assert.ok(tables.includes(name), `${name} in ${tables.join(', ')}`);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE module = 'core'").get(), { version: MIGRATIONS.length });
  new Store(db).insertDeployment(deploymentRow());
  db.close();
  const again = openDb(path, SCHEMA);
  assert.deepEqual(again.prepare("SELECT version FROM schema_migrations WHERE module = 'core'").get(), { version: MIGRATIONS.length });
  assert.equal(new Store(again).getDeploymentByName('chat')?.id, 'd1', 'the rows are kept');
  again.close();
});

test('a file at an older version is brought up to date; its rows keep their values and the new columns start empty', (t) => {
  const path = join(tempDir(t), 'state.db');
  const old = new Database(path);
  migrate(old, SCHEMA, { core: 1 });
  assert.ok(!columns(old, 'replicas').includes('pid_start'));
  assert.ok(!columns(old, 'deployments').includes('previous_key_hash'));
  old
    .prepare(
      `INSERT INTO deployments (id, name, model_name, engine, engine_params, gpu_type, gpu_count, replicas, zone, status, max_ongoing_requests,
      max_queued_requests, queue_timeout_ms, drain_timeout_ms, api_key_hash, api_key_sealed, created_at, updated_at)
     VALUES ('d1', 'chat', 'm', 'sim', '', 'a5000', 2, 1, 'local', 'ready', 4, 10, 1000, 5000, x'00', 'sealed', 1, 2)`,
    )
    .run();
  old.prepare("INSERT INTO replicas (id, deployment_id, state, generation, created_at, pid) VALUES ('r1', 'd1', 'ready', 1, 1, 4242)").run();
  old.close();

  const db = openDb(path, SCHEMA);
  assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE module = 'core'").get(), { version: MIGRATIONS.length });
  const store = new Store(db);
  const d = store.getDeploymentByName('chat')!;
  assert.deepEqual(
    [d.status, d.replicas, d.apiKeySealed, d.previousKeyHash, d.previousKeyUntil, d.generation, d.everReady],
    ['ready', 1, 'sealed', null, null, 1, false],
  );
  const [r] = store.listReplicas('d1');
  assert.deepEqual([r.id, r.pid, r.pidStart, r.gpus, r.exitInfo], ['r1', 4242, null, [], '']);
  db.close();
});

test('a failing migration leaves the file at the version before it', () => {
  const db = new Database(':memory:');
  migrate(db, SCHEMA, { core: 1 });
  db.exec('ALTER TABLE replicas ADD COLUMN pid_start TEXT'); // the next script's column exists already: it fails
  assert.throws(() => migrate(db, SCHEMA), /duplicate column name: pid_start/);
  assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE module = 'core'").get(), { version: 1 });
});
