import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../simulator/random.js';
import { confidence, erlangC, fit, initCapacity, itlAt, line, observe, predict, prefillAt, replicasForWait, summarize, waitQuantileMs } from './capacity.js';

test('RLS recovers a line from noisy points, and its covariance shrinks', () => {
  const rand = mulberry32(3);
  let l = line();
  for (let i = 0; i < 2000; i++) {
    const x = rand() * 3;
    l = fit(l, x, 12 + 2.4 * x + (rand() - 0.5));
  }
  assert.ok(Math.abs(l.b0 - 12) < 0.3, `b0 ${l.b0}`);
  assert.ok(Math.abs(l.b1 - 2.4) < 0.3, `b1 ${l.b1}`);
  assert.ok(l.p[2] < 1, 'slope variance far below the prior');
  assert.ok(Math.abs(predict(l, 2) - 16.8) < 0.5);
  // non-finite points change nothing
  assert.equal(fit(l, NaN, 3), l);
});

test('the capacity model learns ITL against batch, prefill against prompt tokens, and the slot time', () => {
  let m = initCapacity();
  assert.equal(confidence(m), 0);
  const rand = mulberry32(9);
  for (let s = 0; s < 900; s++) {
    const batch = 1 + rand() * 30;
    const prompt = 200 + rand() * 4000;
    m = observe(m, { batch, itlMs: 12 * (1 + 0.02 * (batch - 1)), prefillMs: 20 + 0.1 * prompt, promptTokens: prompt, completions: 3, serviceMs: 1500 });
  }
  assert.ok(Math.abs(itlAt(m, 1) - 12) < 0.5, `itl(1) ${itlAt(m, 1)}`);
  assert.ok(Math.abs(itlAt(m, 25) - 12 * 1.48) < 0.5, `itl(25) ${itlAt(m, 25)}`);
  assert.ok(Math.abs(prefillAt(m, 1000) - 120) < 2, `prefill(1000) ${prefillAt(m, 1000)}`);
  assert.ok(Math.abs(m.serviceMs - 1500) < 1);
  assert.equal(m.served, 2700);
  assert.ok(confidence(m) > 0.8, `confidence ${confidence(m)}`);
  const s = summarize(m);
  assert.match(s.itl, /^11\.\d+ ms \+ 0\.2\d ms per running request$|^12(\.\d+)? ms \+ 0\.2\d ms per running request$/);
  assert.match(s.prefill, /^(19|20)(\.\d+)? ms \+ (99|100)(\.\d+)? ms per 1k prompt tokens$/);
  assert.equal(s.samples, 900);
  // an observation with nothing to learn returns the same model
  assert.equal(observe(m, { batch: 0 }), m);
});

test('Erlang C and the M/M/k wait quantile', () => {
  // textbook: k = 2, a = 1 (rho 0.5): P(wait) = 1/3
  assert.ok(Math.abs(erlangC(2, 1) - 1 / 3) < 1e-9);
  assert.equal(erlangC(4, 4), 1);
  assert.equal(erlangC(4, 0), 0);
  // k = 1 (M/M/1), rho 0.8: P(wait) = 0.8, p95 wait = ln(0.8/0.05) / (mu - lambda)
  const slot = 1000;
  const rate = 0.8 / slot;
  assert.ok(Math.abs(waitQuantileMs(1, rate, slot, 0.95) - Math.log(16) / (1 / slot - rate)) < 1e-6);
  assert.equal(waitQuantileMs(1, 1 / slot, slot, 0.95), Infinity, 'saturated');
  assert.equal(waitQuantileMs(64, 10 / slot, slot, 0.95), 0, 'plenty of slots: nobody waits');
  assert.equal(waitQuantileMs(2, rate, slot, 0.95, 3), 3 * waitQuantileMs(2, rate, slot, 0.95), 'burstiness scales the wait');
});

test('replicasForWait: the fewest replicas whose p95 wait fits the budget', () => {
  const o = { from: 1, max: 64, slotsPerReplica: 8, ratePerMs: 30 / 1000, slotMs: 2000, q: 0.95 };
  // 60 slots busy on average: 8 replicas (64 slots) are saturated-ish, 9 are needed for a 500 ms p95
  const n = replicasForWait({ ...o, budgetMs: 500 });
  assert.ok(waitQuantileMs(n * 8, o.ratePerMs, o.slotMs, 0.95) <= 500);
  assert.ok(waitQuantileMs((n - 1) * 8, o.ratePerMs, o.slotMs, 0.95) > 500);
  assert.ok(n >= 8 && n <= 11, `n ${n}`);
  assert.equal(replicasForWait({ ...o, budgetMs: 500, max: 5 }), 5, 'never above max');
  assert.ok(replicasForWait({ ...o, budgetMs: 500, burst: 10 }) >= n, 'burstier arrivals need at least as many');
});
