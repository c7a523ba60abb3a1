import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryStore, COARSE_MS, FINE_MS } from './store.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { percentile, observe, type Histogram } from './histogram.js';

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0); // a bucket boundary
const sample = (at: number, over: Record<string, number> = {}) => ({
  at,
  ongoing: 2,
  queued: 1,
  arrivals: 3,
  tokens: 30,
  desired: 2,
  ready: 2,
  starting: 0,
  gpus: 4,
  ...over,
});

test('10 s buckets: rates per second, averages, and the open bucket is visible before it is written', () => {
  const h = new HistoryStore(openDb(':memory:', SCHEMA));
  for (let s = 0; s < 15; s++) h.record('d1', { ...sample(T0 + s * 1000), ttftMs: [100, 200] });
  const fine = h.series('d1', T0 - 16 * 60_000, T0 + 15_000);
  assert.equal(fine.resolutionMs, FINE_MS);
  assert.deepEqual(
    fine.points.map((p) => p.at),
    [T0, T0 + 10_000],
  );
  const p = fine.points[0];
  assert.equal(p.requestRate, 3);
  assert.equal(p.tokensPerSecond, 30);
  assert.equal(p.ongoing, 2);
  assert.equal(p.queued, 1);
  assert.equal(p.gpus, 4);
  assert.ok(p.ttftP50Ms! >= 93 && p.ttftP50Ms! <= 107, `p50 ${p.ttftP50Ms}`);
  assert.ok(p.ttftP95Ms! >= 186 && p.ttftP95Ms! <= 214, `p95 ${p.ttftP95Ms}`);
  const live = h.series('d1', T0, T0 + 15_000);
  assert.equal(live.resolutionMs, 1000);
  assert.equal(live.points.length, 15);
  assert.equal(h.latest('d1')!.at, T0 + 14_000);
});

test('after a restart the last 15 minutes come from the 10 s tier until the 1 s points cover them; a new deployment gets 1 s points at once', () => {
  const db = openDb(':memory:', SCHEMA);
  const before = new HistoryStore(db);
  for (let s = 0; s < 300; s++) before.record('d1', sample(T0 + s * 1000));
  before.flush();
  // restarted (or took over with a copy) at T0 + 300 s; samples go on
  const h = new HistoryStore(db);
  for (let s = 300; s < 330; s++) h.record('d1', sample(T0 + s * 1000));
  const now = T0 + 330_000;
  const view = h.series('d1', now - 15 * 60_000, now);
  assert.equal(view.resolutionMs, FINE_MS);
  assert.equal(view.points[0].at, T0);
  assert.equal(view.points[view.points.length - 1].at, T0 + 320_000, 'the open bucket too');
  assert.ok(view.points.every((p) => p.requestRate === 3));
  // a range the 1 s points cover is still served at 1 s
  assert.equal(h.series('d1', now - 20_000, now).resolutionMs, 1000);
  // a deployment with no older history: 1 s points from its first sample
  for (let s = 300; s < 330; s++) h.record('new', sample(T0 + s * 1000));
  const fresh = h.series('new', now - 15 * 60_000, now);
  assert.equal(fresh.resolutionMs, 1000);
  assert.equal(fresh.points.length, 30);
});

test('demandHistory: closed 5 min buckets only, concurrency = ongoing + queued, rate per second', () => {
  const h = new HistoryStore(openDb(':memory:', SCHEMA));
  // 10 minutes at 2 req/s with 3 in flight, then 1 minute at 6 req/s
  for (let s = 0; s < 600; s++) h.record('d1', sample(T0 + s * 1000, { arrivals: 2, ongoing: 2, queued: 1 }));
  for (let s = 600; s < 660; s++) h.record('d1', sample(T0 + s * 1000, { arrivals: 6, ongoing: 5, queued: 1 }));
  assert.deepEqual(h.demandHistory('d1', T0 - 86_400_000), [
    { at: T0, concurrency: 3, rate: 2 },
    { at: T0 + COARSE_MS, concurrency: 3, rate: 2 },
  ]);
  assert.deepEqual(h.demandHistory('d1', T0 + COARSE_MS), [{ at: T0 + COARSE_MS, concurrency: 3, rate: 2 }]);
  assert.deepEqual(h.demandHistory('other', 0), []);
  const coarse = h.series('d1', T0 - 2 * 86_400_000, T0 + 660_000);
  assert.equal(coarse.resolutionMs, COARSE_MS);
  assert.deepEqual(
    coarse.points.map((p) => p.requestRate),
    [2, 2, 6],
  );
});

test('the long-term buckets survive a restart (reopened store on the same database)', () => {
  const db = openDb(':memory:', SCHEMA);
  const a = new HistoryStore(db);
  for (let s = 0; s < 400; s++) a.record('d1', sample(T0 + s * 1000));
  a.flush();
  const b = new HistoryStore(db);
  assert.deepEqual(
    b.demandHistory('d1', 0).map((p) => p.at),
    [T0, T0 + COARSE_MS],
    'no sample since restart: every stored bucket is returned',
  );
  assert.equal(b.totals('d1', T0, T0 + 400_000).requests, 1200);
  assert.equal(b.totals('d1', T0 + 100_000, T0 + 400_000).requests, 900);
});

test('prune: 10 s rows go after a day, 5 min rows after 30 days', () => {
  const db = openDb(':memory:', SCHEMA);
  const h = new HistoryStore(db);
  for (let s = 0; s < 20; s++) h.record('d1', sample(T0 + s * 1000));
  h.flush();
  const count = (t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  assert.deepEqual([count('history_10s'), count('history_5m')], [2, 1]);
  h.prune(T0 + 86_400_000 - 60_000);
  assert.deepEqual([count('history_10s'), count('history_5m')], [2, 1]);
  h.prune(T0 + 86_400_000 + 20_000);
  assert.deepEqual([count('history_10s'), count('history_5m')], [0, 1]);
  h.prune(T0 + 30 * 86_400_000 + COARSE_MS);
  assert.deepEqual([count('history_10s'), count('history_5m')], [0, 0]);
  assert.equal(h.latest('d1'), undefined, 'in-memory samples of an idle deployment are dropped too');
});

test('a late sample merges into its already written bucket', () => {
  const h = new HistoryStore(openDb(':memory:', SCHEMA));
  h.record('d1', sample(T0));
  h.record('d1', sample(T0 + 10_000));
  h.record('d1', sample(T0 + 5000, { arrivals: 7 }));
  assert.equal(h.totals('d1', T0, T0 + 11_000).requests, 13);
});

test('histogram percentiles stay within a bin of the exact value', () => {
  const hist: Histogram = {};
  for (let i = 1; i <= 1000; i++) observe(hist, i);
  for (const [q, exact] of [
    [0.5, 500],
    [0.95, 950],
    [0.99, 990],
  ] as const) {
    const got = percentile(hist, q)!;
    assert.ok(Math.abs(got - exact) / exact < 0.08, `q${q}: ${got} vs ${exact}`);
  }
  assert.equal(percentile({}, 0.5), undefined);
});
