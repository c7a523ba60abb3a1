import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gamma, mulberry32, weibull, gammaFn } from '../random.js';
import { burstTrace, diurnalTrace, flashCrowdTrace, longPromptTrace, onOffTrace, poissonTrace } from './generators.js';

test('mulberry32 is reproducible and uniform enough', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02);
});

test('Gamma and Weibull samplers have the right means', () => {
  const r = mulberry32(1);
  let g = 0;
  let w = 0;
  const n = 40_000;
  for (let i = 0; i < n; i++) {
    g += gamma(r, 0.8, 2);
    w += weibull(r, 1.5, 3);
  }
  assert.ok(Math.abs(g / n - 1.6) < 0.05, `gamma mean ${g / n}`);
  assert.ok(Math.abs(w / n - 3 * gammaFn(1 + 1 / 1.5)) < 0.06, `weibull mean ${w / n}`);
  assert.ok(Math.abs(gammaFn(5) - 24) < 1e-9);
});

test('Poisson, diurnal and burst generators: seeded, sorted, right counts', () => {
  const p = poissonTrace({ rate: 5, durationMs: 200_000, seed: 9 });
  assert.ok(Math.abs(p.at.length - 1000) < 120, `${p.at.length}`);
  assert.deepEqual([...poissonTrace({ rate: 5, durationMs: 200_000, seed: 9 }).at], [...p.at]);
  for (let i = 1; i < p.at.length; i++) assert.ok(p.at[i] >= p.at[i - 1]);
  const d = diurnalTrace({ meanRate: 4, amplitude: 1, periodMs: 100_000, durationMs: 100_000, seed: 2 });
  const firstHalf = [...d.at].filter((x) => x < 50_000).length;
  assert.ok(firstHalf > 2.5 * (d.at.length - firstHalf), `peak half ${firstHalf} of ${d.at.length}`);
  const b = burstTrace({ baseRate: 1, burstRate: 50, everyMs: 60_000, burstMs: 5_000, firstMs: 30_000, durationMs: 60_000, seed: 3 });
  const inBurst = [...b.at].filter((x) => x >= 30_000 && x < 35_000).length;
  assert.ok(inBurst > 180 && inBurst < 330, `${inBurst}`);
});

const count = (at: Float64Array, from: number, to: number) => [...at].filter((x) => x >= from && x < to).length;

test('on-off generator: traffic only in the on-periods, at the rate, seeded', () => {
  const o = { rate: 10, onMs: 20_000, offMs: 40_000, durationMs: 180_000, seed: 4 };
  const t = onOffTrace(o);
  assert.deepEqual([...onOffTrace(o).at], [...t.at]);
  for (const x of t.at) assert.ok(x % 60_000 < 20_000, `arrival at ${x} in an off-period`);
  assert.ok(Math.abs(t.at.length - 600) < 90, `${t.at.length}`);
  const late = onOffTrace({ ...o, firstMs: 30_000 });
  assert.equal(count(late.at, 0, 30_000), 0);
  assert.ok(count(late.at, 30_000, 50_000) > 150);
});

test('flash crowd generator: base rate, a ramp to the peak, the hold, the fall back', () => {
  const t = flashCrowdTrace({ baseRate: 2, peakRate: 50, atMs: 100_000, rampMs: 20_000, holdMs: 40_000, decayMs: 40_000, durationMs: 300_000, seed: 5 });
  assert.ok(Math.abs(count(t.at, 0, 100_000) - 200) < 50, 'base before');
  assert.ok(Math.abs(count(t.at, 120_000, 160_000) - 2000) < 150, 'hold at the peak');
  const rise = count(t.at, 100_000, 120_000);
  assert.ok(Math.abs(rise - 520) < 80, `ramp ${rise}`);
  assert.ok(Math.abs(count(t.at, 160_000, 200_000) - 1040) < 120, 'linear fall');
  assert.ok(Math.abs(count(t.at, 200_000, 300_000) - 200) < 50, 'base after');
});

test('long-prompt generator: prompts of several thousand tokens within the context', () => {
  const t = longPromptTrace({ meanRate: 5, durationMs: 200_000, seed: 6 });
  const prompts = [...t.promptTokens].sort((a, b) => a - b);
  const median = prompts[prompts.length >> 1];
  assert.ok(median > 3500 && median < 4500, `median prompt ${median}`);
  for (let i = 0; i < t.at.length; i++) assert.ok(t.promptTokens[i] <= 7680 && t.completionTokens[i] <= 512);
  assert.ok(Math.abs(t.at.length - 1000) < 120, `${t.at.length}`);
  assert.match(t.description, /long prompts/);
});
