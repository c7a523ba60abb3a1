import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../random.js';
import { DEFAULT_LAUNCH, drawLaunchMs } from './provisioning.js';

test('node launch: lognormal around the median, p5 ~30 s and p95 ~8 min, capped, seeded', () => {
  const rand = mulberry32(3);
  const xs = Array.from({ length: 20_000 }, () => drawLaunchMs(DEFAULT_LAUNCH, rand)).sort((a, b) => a - b);
  const q = (p: number) => xs[Math.floor(p * xs.length)];
  assert.ok(Math.abs(q(0.5) - 120_000) < 5_000, `median ${q(0.5)}`);
  assert.ok(q(0.05) > 25_000 && q(0.05) < 36_000, `p5 ${q(0.05)}`);
  assert.ok(q(0.95) > 420_000 && q(0.95) < 540_000, `p95 ${q(0.95)}`);
  assert.ok(xs[xs.length - 1] <= DEFAULT_LAUNCH.maxMs);
  const again = mulberry32(3);
  assert.equal(drawLaunchMs(DEFAULT_LAUNCH, again), drawLaunchMs(DEFAULT_LAUNCH, mulberry32(3)));
  assert.equal(drawLaunchMs({ medianMs: 5000, sigma: 0, maxMs: 900_000 }, rand), 5000);
});
