import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadTracker } from './load-tracker.js';

test('samples: time-averaged running count, queue, arrivals and TTFT p95 of first tokens in the interval', () => {
  const t = new LoadTracker(0, 1000, 10_000, 300_000);
  t.integrate(250, 0);
  t.integrate(1000, 4); // 4 running for 750 ms
  t.arrivals = 3;
  t.firstToken(500, 120, 100, 200); // waited 100 ms for a slot, then 20 ms of prefill for 200 tokens
  t.firstToken(900, 80, 0, 800);
  t.firstToken(1500, 999); // next interval (no split known: all of it counts as wait)
  t.completion(950, 400, 11, 120); // 10 gaps of 12 ms
  t.completion(990, 30, 1, 0); // one token: no inter-token latency
  t.completion(1200, 500, 16, 225); // next interval
  const s = t.sample(1000, 2);
  assert.deepEqual(s, {
    at: 1000,
    ongoing: 3,
    queued: 2,
    arrivals: 3,
    ttftP95Ms: 120,
    waitP95Ms: 100,
    prefillMs: 50,
    promptTokens: 500,
    completions: 2,
    serviceMs: 215,
    itlMs: 12,
  });
  const s2 = t.sample(2000, 0);
  assert.equal(s2.ttftP95Ms, 999);
  assert.equal(s2.waitP95Ms, 999);
  assert.equal(s2.completions, 1);
  assert.equal(s2.arrivals, 0);
  assert.equal(t.sample(3000, 0).completions, 0);
  assert.equal(t.sample(4000, 0).ttftP95Ms, undefined, 'a window is emptied by its sample');
});

test('idle samples: one per second, the window stays bounded, the history still sees every second', () => {
  const t = new LoadTracker(0, 1000, 10_000, 60_000);
  t.idleSamples(1000, 300_000);
  assert.ok(t.samples.length >= 10 && t.samples.length < 20);
  assert.equal(t.samples[t.samples.length - 1].at, 300_000);
  for (let i = 1; i < t.samples.length; i++) assert.equal(t.samples[i].at - t.samples[i - 1].at, 1000);
  const h = t.history.history();
  assert.equal(h.length, 5); // buckets 0 ... 240 s closed by the sample at 300 s, which opens the next
  assert.ok(h.every((p) => p.concurrency === 0 && p.rate === 0));
});
