import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSample, quantile, takeWindow, MAX_TTFT_PER_CONSUMER } from './window.js';

const route = () => ({ stats: { arrivals: 0, ttftMs: [] as number[], lastActivityAt: 0 }, admission: { ongoing: 0, queued: 0 } });

test('takeWindow: each consumer sees every arrival and TTFT since its own previous call', () => {
  const r = route();
  takeWindow(r, 'history');
  takeWindow(r, 'autoscaler');
  r.stats.arrivals = 3;
  r.stats.ttftMs.push(10, 20, 30);
  assert.deepEqual(takeWindow(r, 'history'), { arrivals: 3, ttftMs: [10, 20, 30] });
  assert.equal(r.stats.arrivals, 0, 'the route counters are reset by the one reader');
  assert.equal(r.stats.ttftMs.length, 0);
  r.stats.arrivals = 2;
  r.stats.ttftMs.push(40);
  assert.deepEqual(takeWindow(r, 'history'), { arrivals: 2, ttftMs: [40] });
  assert.deepEqual(takeWindow(r, 'autoscaler'), { arrivals: 5, ttftMs: [10, 20, 30, 40] });
  assert.deepEqual(takeWindow(r, 'autoscaler'), { arrivals: 0, ttftMs: [] });
});

test('takeWindow: a consumer that stops calling keeps only the newest TTFT values', () => {
  const r = route();
  takeWindow(r, 'idle');
  for (let i = 0; i < MAX_TTFT_PER_CONSUMER + 5; i++) r.stats.ttftMs.push(i);
  r.stats.arrivals = 7;
  takeWindow(r, 'busy');
  const w = takeWindow(r, 'idle');
  assert.equal(w.ttftMs.length, MAX_TTFT_PER_CONSUMER);
  assert.equal(w.ttftMs[0], 5);
  assert.equal(w.arrivals, 7);
});

test('loadSample: instantaneous ongoing/queued, arrivals and p95 of the window', () => {
  const r = route();
  r.admission = { ongoing: 4, queued: 2 };
  r.stats.arrivals = 20;
  for (let i = 1; i <= 20; i++) r.stats.ttftMs.push(i * 10);
  const s = loadSample(r, 5000);
  assert.deepEqual({ ...s, ttftMs: s.ttftMs.length }, { at: 5000, ongoing: 4, queued: 2, arrivals: 20, ttftMs: 20, ttftP95Ms: 190 });
  assert.equal(loadSample(r, 6000).ttftP95Ms, undefined, 'no TTFT in an empty window');
  assert.equal(quantile([5, 1, 3], 0.5), 3);
  assert.equal(quantile([], 0.5), undefined);
});
