import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import Database from 'better-sqlite3';
import { migrate, openDb, type Db } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { HistoryStore } from '../history/store.js';
import { RequestLog } from '../gateway/request-log.js';
import { CostLedger } from '../cost/ledger.js';
import { copyCursorSchema, CopySink, CopySource, forgetDeployment } from './copy.js';

// Real SQLite files' schema (in memory), written through the modules that own the tables, copied through
// CopySource/CopySink as the HA routes do (the HTTP leg is covered by ha.it.test.ts).

const TABLES = ['history_10s', 'history_5m', 'events', 'request_log', 'cost_usage', 'copy_forgotten'];

/** One server's tables and the writers that fill them. */
function replica(clock: FakeClock) {
  const db = openDb(':memory:', SCHEMA);
  const store = new Store(db);
  const history = new HistoryStore(db);
  const requests = new RequestLog(db, clock);
  const replicas: { id: string; startedAt: number; stoppedAt: number | null }[] = [];
  const dep = { id: 'd1', name: 'chat', labels: { team: 'a' }, gpuType: 'l4', gpuCount: 1 };
  const ledger = new CostLedger(db, { listDeployments: () => [dep] as any, listReplicas: () => replicas as any });
  return {
    db,
    replicas,
    /** one second of activity: a history sample, a request, an event every 5 s, the ledger's sync */
    tick(n = 1) {
      for (let i = 0; i < n; i++) {
        clock.advance(1000);
        const at = clock.now();
        history.record('d1', { at, ongoing: 2, queued: i % 3, arrivals: 1, ttftMs: [120 + i], tokens: 7, desired: 1, ready: 1, starting: 0, gpus: 1 });
        requests.push('d1', at - 500, 10, 7, 120 + i, 200);
        requests.flush();
        if (at % 5000 === 0) store.addEvent('d1', at, 'scale', `tick ${at}`);
        ledger.sync(at);
      }
      history.flush();
    },
  };
}

const dump = (db: Db, table: string) => db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
const sameTables = (a: Db, b: Db) => {
  for (const t of TABLES) assert.deepEqual(dump(b, t), dump(a, t), t);
};

/** Reports until the leader has nothing more; returns the number of round trips. */
function catchUp(source: CopySource, sink: CopySink): number {
  let trips = 0;
  do trips++;
  while (sink.apply(JSON.parse(JSON.stringify(source.serve(sink.cursor())))));
  return trips;
}

test("a follower copies the leader's history, events, request log and ledger in pages, and then keeps up with changed rows", () => {
  const clock = new FakeClock(1_700_000_000_000);
  const leader = replica(clock);
  leader.replicas.push({ id: 'r1', startedAt: clock.now(), stoppedAt: null });
  leader.tick(95);
  const follower = openDb(':memory:', SCHEMA);
  const source = new CopySource(leader.db, 'a@1', 20);
  const logs: string[] = [];
  const sink = new CopySink(follower, (l) => logs.push(l));
  // 95 request rows in pages of 20 (the other tables have fewer): 75 left after the first answer
  assert.equal(source.serve(sink.cursor()).left, 75);
  // five answers: four with more, the fifth with the last 15
  assert.equal(catchUp(source, sink), 5);
  sameTables(leader.db, follower);
  assert.deepEqual(logs, [
    "cluster: copying the leader's history, events, request log and cost ledger: 75 rows to go",
    "cluster: the copy of the leader's history has caught up",
  ]);
  assert.equal(source.serve(sink.cursor()).left, 0);
  // the open 10 s and 5 min buckets change in place; a replica stops (its ledger row is closed)
  leader.replicas[0].stoppedAt = clock.now() + 500;
  leader.tick(3);
  assert.equal(catchUp(source, sink), 1);
  sameTables(leader.db, follower);
  assert.equal((follower.prepare('SELECT stopped_at FROM cost_usage').get() as any).stopped_at, leader.replicas[0].stoppedAt);
});

test("after a failover the new leader's own rows reach a follower that was ahead of it, and a restarted follower goes on from its file", () => {
  const clock = new FakeClock(1_700_000_000_000);
  const old = replica(clock);
  old.replicas.push({ id: 'r1', startedAt: clock.now(), stoppedAt: null });
  old.tick(30);
  const oldSource = new CopySource(old.db, 'old@1');
  // b copies now; c copies later, so c is ahead of b when b takes over
  const b = replica(clock);
  const bSink = new CopySink(b.db, () => {});
  catchUp(oldSource, bSink);
  old.tick(12);
  const c = openDb(':memory:', SCHEMA);
  const cSink = new CopySink(c, () => {});
  catchUp(oldSource, cSink);
  assert.ok(cSink.cursor().after.requests > bSink.cursor().after.requests);
  // b takes over (the old leader's last 12 s are lost with it) and writes its own rows
  const bSource = new CopySource(b.db, 'b@2');
  b.replicas.splice(0, 1, { id: 'r2', startedAt: clock.now(), stoppedAt: null });
  b.tick(8);
  catchUp(bSource, cSink);
  // every row b wrote as leader, c has identically; the rows b copied, c has too (some in a newer
  // version from the old leader, which c saw and b did not)
  for (const t of TABLES) {
    const rev = t === 'events' || t === 'request_log' ? 'id' : 'rev';
    const key = (r: any) => (t.startsWith('history') ? `${r.deployment_id}/${r.at}` : t === 'cost_usage' ? r.replica_id : String(r.id));
    const cRows = new Map((dump(c, t) as any[]).map((r) => [key(r), r]));
    const mark = bSink.cursor().after;
    for (const r of dump(b.db, t) as any[]) {
      assert.ok(cRows.has(key(r)), `${t}: ${key(r)} copied`);
      const own =
        r[rev] >
        mark[({ history_10s: 'history10s', history_5m: 'history5m', events: 'events', request_log: 'requests', cost_usage: 'cost' } as const)[t as 'events']];
      if (own) assert.deepEqual(cRows.get(key(r)), r, `${t}: b's own row ${key(r)}`);
    }
  }
  // c restarts: not knowing whose numbers its file holds, it is sent b's rows since the takeover again
  // (8 + 2 requests); rows sent twice are written once. Ids b has not reached yet still hold the old
  // leader's last rows, which b never saw; b's next rows take their place.
  b.tick(2);
  const restarted = new CopySink(c, () => {});
  const batch = bSource.serve(restarted.cursor());
  assert.equal(batch.tables.requests.rows.length, 10);
  restarted.apply(batch);
  const bLog = dump(b.db, 'request_log');
  assert.deepEqual(c.prepare('SELECT * FROM request_log WHERE id <= ? ORDER BY id').all(bLog.length), bLog);
  assert.equal((c.prepare('SELECT COUNT(*) AS n FROM request_log').get() as { n: number }).n, 42);
  assert.equal(bSource.serve(restarted.cursor()).tables.requests.rows.length, 0);
});

test('rows with a column this version does not have are skipped, said once, and the copy goes on', () => {
  const clock = new FakeClock(1_700_000_000_000);
  const leader = replica(clock);
  leader.tick(2);
  const logs: string[] = [];
  const sink = new CopySink(openDb(':memory:', SCHEMA), (l) => logs.push(l));
  for (let i = 0; i < 2; i++) {
    const batch = new CopySource(leader.db, 'a@1').serve(sink.cursor());
    batch.tables.events.rows = [[1, 'd1', 5, 'scale', 'x', null, 'new']];
    batch.tables.events.columns = [...batch.tables.events.columns, 'shard'];
    batch.tables.events.last = 1;
    sink.apply(batch);
  }
  assert.equal(logs.length, 1);
  assert.match(logs[0], /events rows with column\(s\) shard .* not copied/);
  assert.equal(sink.cursor().after.events, 1);
  assert.equal(sink.cursor().after.requests, 2);
  assert.throws(() => sink.apply({ term: 'a@1', tables: { events: { rows: [] } }, more: false }), /tables/, 'a malformed batch is refused');
});

test('rows written before the upgrade that numbers changes get numbers, oldest first, and are copied', () => {
  const db = new Database(':memory:');
  migrate(db, SCHEMA, { history: 1, cost: 1, request_log: 1, request_log_request_id: 0 });
  const hist = `INSERT INTO history_10s (deployment_id, at, n, seconds, arrivals, ongoing, queued, tokens, desired, ready, starting, gpus, ttft) VALUES (?, ?, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, '{}')`;
  for (const [d, at] of [
    ['d2', 20_000],
    ['d1', 20_000],
    ['d1', 10_000],
  ] as const)
    db.prepare(hist).run(d, at);
  for (const at of [30, 10, 20])
    db.prepare('INSERT INTO request_log (deployment_id, at, prompt_tokens, completion_tokens, ttft_ms, status) VALUES (?, ?, 1, 1, NULL, 200)').run('d1', at);
  db.prepare(
    `INSERT INTO cost_usage (replica_id, deployment_id, deployment_name, labels, gpu_type, gpu_count, started_at, stopped_at, seen_at) VALUES ('r1', 'd1', 'chat', '{}', 'l4', 1, 0, NULL, 0)`,
  ).run();
  migrate(db, SCHEMA);
  assert.deepEqual(db.prepare('SELECT deployment_id, at, rev FROM history_10s ORDER BY rev').all(), [
    { deployment_id: 'd1', at: 10_000, rev: 1 },
    { deployment_id: 'd1', at: 20_000, rev: 2 },
    { deployment_id: 'd2', at: 20_000, rev: 3 },
  ]);
  assert.deepEqual(db.prepare('SELECT id, at FROM request_log ORDER BY id').all(), [
    { id: 1, at: 30 },
    { id: 2, at: 10 },
    { id: 3, at: 20 },
  ]);
  assert.equal((db.prepare('SELECT rev FROM cost_usage').get() as { rev: number }).rev, 1);
  const follower = openDb(':memory:', SCHEMA);
  catchUp(new CopySource(db, 'a@1'), new CopySink(follower, () => {}));
  sameTables(db, follower);
});

test("a deleted deployment's events and request log go, on the leader and then on the followers", () => {
  const clock = new FakeClock(1_700_000_000_000);
  const leader = replica(clock);
  leader.tick(30);
  const follower = openDb(':memory:', SCHEMA);
  const source = new CopySource(leader.db, 'a@1', 10);
  const sink = new CopySink(follower, () => {});
  // the follower has copied the first page only (10 of 30 requests) when d1 is deleted
  sink.apply(source.serve(sink.cursor()));
  const count = (db: Db, t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE deployment_id = 'd1'`).get() as { n: number }).n;
  assert.equal(count(follower, 'request_log'), 10);
  forgetDeployment(leader.db, 'd1', clock.now());
  assert.equal(count(leader.db, 'request_log'), 0);
  assert.equal(count(leader.db, 'events'), 0);
  catchUp(source, sink);
  assert.equal(count(follower, 'request_log'), 0);
  assert.equal(count(follower, 'events'), 0);
  assert.ok(count(follower, 'history_10s') > 0, 'the metrics history stays until it ages out, as on the leader');
  sameTables(leader.db, follower);
});

test('a server of another version (a rolling upgrade) may copy fewer tables: what is missing stays where it was', () => {
  const clock = new FakeClock(1_700_000_000_000);
  const leader = replica(clock);
  leader.tick(3);
  const sink = new CopySink(openDb(':memory:', SCHEMA), () => {});
  const { forgotten: _, ...older } = new CopySource(leader.db, 'a@1').serve(sink.cursor()).tables;
  sink.apply({ term: 'a@1', tables: older, more: false });
  assert.equal(sink.cursor().after.requests, 3);
  assert.equal(sink.cursor().after.forgotten, 0);
  // and a cursor without a table's position counts it from 0
  assert.deepEqual(copyCursorSchema.parse({ term: null, after: { requests: 5 } }).after, {
    history10s: 0,
    history5m: 0,
    events: 0,
    requests: 5,
    cost: 0,
    forgotten: 0,
  });
});
