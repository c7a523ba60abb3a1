import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyWindow, recordCompletion, recordFirstToken } from '../gateway/window-stats.js';
import { loadSample, quantile, takeWindow, MAX_TTFT_PER_CONSUMER } from './window.js';

const route = () => ({ stats: { ...emptyWindow(), lastActivityAt: 0 }, admission: { ongoing: 0, queued: 0 } });
const brief = (w: ReturnType<typeof takeWindow>) => ({
  arrivals: w.arrivals,
  ttftMs: w.ttftMs,
  waitMs: w.waitMs,
  completions: w.completions,
  serviceMs: w.serviceMs,
});

test('takeWindow: each consumer sees every request since its own previous call', () => {
  const r = route();
  takeWindow(r, 'history');
  takeWindow(r, 'leader');
  r.stats.arrivals = 3;
  recordFirstToken(r.stats, 10, 2, 100);
  recordFirstToken(r.stats, 20, 5, 100);
  recordCompletion(r.stats, 300, undefined, undefined);
  assert.deepEqual(brief(takeWindow(r, 'history')), { arrivals: 3, ttftMs: [10, 20], waitMs: [2, 5], completions: 1, serviceMs: 300 });
  assert.deepEqual({ ...r.stats, lastActivityAt: 0 }, { ...emptyWindow(), lastActivityAt: 0 }, 'the route counters are reset by the one reader');
  r.stats.arrivals = 2;
  recordFirstToken(r.stats, 40, 1, 100);
  recordCompletion(r.stats, 100, undefined, undefined);
  assert.deepEqual(brief(takeWindow(r, 'history')), { arrivals: 2, ttftMs: [40], waitMs: [1], completions: 1, serviceMs: 100 });
  const leader = takeWindow(r, 'leader');
  assert.deepEqual(brief(leader), { arrivals: 5, ttftMs: [10, 20, 40], waitMs: [2, 5, 1], completions: 2, serviceMs: 400 });
  assert.deepEqual([leader.firstTokens, leader.prefillMs, leader.promptTokens], [3, 8 + 15 + 39, 300]);
  assert.deepEqual(takeWindow(r, 'leader'), emptyWindow());
});

test('takeWindow: a consumer that stops calling keeps only the newest TTFT and wait values, and every sum', () => {
  const r = route();
  takeWindow(r, 'idle');
  for (let i = 0; i < MAX_TTFT_PER_CONSUMER + 5; i++) recordFirstToken(r.stats, i, 0, 1);
  r.stats.arrivals = 7;
  takeWindow(r, 'busy');
  const w = takeWindow(r, 'idle');
  assert.equal(w.ttftMs.length, MAX_TTFT_PER_CONSUMER);
  assert.equal(w.waitMs.length, MAX_TTFT_PER_CONSUMER);
  assert.equal(w.ttftMs[0], 5);
  assert.equal(w.arrivals, 7);
  assert.equal(w.firstTokens, MAX_TTFT_PER_CONSUMER + 5);
});

test('loadSample: instantaneous ongoing/queued; p95 of TTFT and wait; means of prefill, prompt, slot time and inter-token latency', () => {
  const r = route();
  r.admission = { ongoing: 4, queued: 2 };
  r.stats.arrivals = 20;
  // TTFT 10..200 ms, of which the wait is 0..190 ms: prefill 10 ms each, 50 prompt tokens each
  for (let i = 1; i <= 20; i++) recordFirstToken(r.stats, i * 10, (i - 1) * 10, 50);
  // two streams of 11 tokens, 100 ms and 300 ms from first to last token; one answer without tokens known
  recordCompletion(r.stats, 1000, 11, 100);
  recordCompletion(r.stats, 2000, 11, 300);
  recordCompletion(r.stats, 3000, undefined, undefined);
  // one token: no inter-token latency
  recordCompletion(r.stats, 6000, 1, 0);
  const s = loadSample(r, 5000);
  assert.deepEqual(
    { ...s, ttftMs: s.ttftMs.length },
    {
      at: 5000,
      ongoing: 4,
      queued: 2,
      arrivals: 20,
      ttftMs: 20,
      ttftP95Ms: 190,
      waitP95Ms: 180,
      prefillMs: 10,
      promptTokens: 50,
      completions: 4,
      serviceMs: 3000,
      itlMs: 20,
    },
  );
  // every sample has one shape (history/window.ts emptySample): what was not measured is undefined
  const measured = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  assert.deepEqual(
    measured(loadSample(r, 6000)),
    { at: 6000, ongoing: 4, queued: 2, arrivals: 0, ttftMs: [], completions: 0 },
    'an empty window: counts only, no means',
  );
  assert.equal(quantile([5, 1, 3], 0.5), 3);
  assert.equal(quantile([], 0.5), undefined);
});

test('loadSample with remote load: counts and sums add, percentiles over all values; an older report without the new parts still merges', () => {
  const r = route();
  r.admission = { ongoing: 1, queued: 0 };
  r.stats.arrivals = 2;
  recordFirstToken(r.stats, 10, 0, 100);
  recordFirstToken(r.stats, 20, 0, 100);
  recordCompletion(r.stats, 500, 3, 40);
  const remote = { ...emptyWindow(), ongoing: 4, queued: 3, arrivals: 7, tokens: 9 };
  for (let i = 0; i < 18; i++) recordFirstToken(remote, 1_000, 900, 300);
  recordCompletion(remote, 1500, 5, 40);
  const s = loadSample(r, 5, 'history', remote);
  assert.deepEqual([s.ongoing, s.queued, s.arrivals, s.ttftP95Ms, s.waitP95Ms, s.completions], [5, 3, 9, 1_000, 900, 2]);
  assert.equal(s.prefillMs, (10 + 20 + 18 * 100) / 20);
  assert.equal(s.promptTokens, (200 + 18 * 300) / 20);
  assert.equal(s.serviceMs, 1000);
  assert.equal(s.itlMs, (20 + 10) / 2);
  // a follower of an older version reports arrivals and TTFT only: the wait and the means are the local ones
  recordFirstToken(r.stats, 30, 10, 40);
  const old = loadSample(r, 6, 'history', { ongoing: 1, queued: 0, arrivals: 1, ttftMs: [2_000] });
  assert.deepEqual([old.arrivals, old.ttftP95Ms, old.waitP95Ms, old.prefillMs, old.promptTokens, old.completions], [1, 2_000, 10, 20, 40, 0]);
});

test("the engines' waiting requests move from ongoing to queued (at most all of ongoing); without signals nothing moves", () => {
  const route = (ongoing: number, queued: number, waiting: (number | undefined)[]) => ({
    stats: { ...emptyWindow(), lastActivityAt: 0 },
    admission: { ongoing, queued },
    replicas: new Map(waiting.map((w, i) => [`r${i}`, { engine: w === undefined ? undefined : { waiting: w } }])),
  });
  const s = loadSample(route(10, 2, [3, undefined, 1]), 1000, 'engine-test');
  assert.deepEqual([s.ongoing, s.queued], [6, 6]);
  const capped = loadSample(route(2, 0, [5]), 1000, 'engine-test');
  assert.deepEqual([capped.ongoing, capped.queued], [0, 2]);
  const none = loadSample(route(4, 1, [undefined]), 1000, 'engine-test');
  assert.deepEqual([none.ongoing, none.queued], [4, 1]);
});
