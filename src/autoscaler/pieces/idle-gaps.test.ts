import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planIdle, recordGap, setLastBurst, type GapSample } from './idle-gaps.js';

const MIN = 60_000;
const gaps = (values: number[], burst = 1): GapSample[] => values.map((gap) => ({ gap, burst }));

describe('idle-gap plans for scale to zero', () => {
  it('keeps the last gaps and the burst after the newest', () => {
    let g: GapSample[] = [];
    for (let k = 1; k <= 5; k++) g = recordGap(g, k * 1000, 3);
    assert.deepEqual(
      g.map((x) => x.gap),
      [3000, 4000, 5000],
    );
    const b = setLastBurst(g, 7);
    assert.equal(b[2].burst, 7);
    assert.equal(g[2].burst, 1, 'a new array: the old state is untouched');
    assert.equal(setLastBurst(b, 7), b, 'no copy when nothing changed');
  });

  it('without enough gaps there is no plan (the plain idle timer decides)', () => {
    assert.equal(planIdle(gaps([10 * MIN, 10 * MIN]), 20_000, MIN, 5 * MIN), undefined);
    assert.equal(planIdle(gaps([30_000, 40_000, 50_000]), 60_000, MIN, 5 * MIN), undefined, 'none this long');
  });

  it('short gaps: keep the replica (a cold start costs more than the wait)', () => {
    const p = planIdle(gaps([40_000, 50_000, 70_000, 45_000, 55_000]), 20_000, MIN, 5 * MIN)!;
    assert.equal(p.dropAt, Infinity);
  });

  it('a regular 10-minute timer: zero now, back a cold start before the earliest gap', () => {
    const p = planIdle(gaps([9.5 * MIN, 10 * MIN, 10.4 * MIN, 9.8 * MIN, 10.1 * MIN, 9.9 * MIN]), 20_000, MIN, 5 * MIN)!;
    assert.equal(p.dropAt, 20_000);
    assert.equal(p.prewarmAt, 8.5 * MIN);
    assert.ok(p.cost < p.keepCost / 3);
  });

  it('long random gaps: zero now, back on the next request (or before the longest gap seen)', () => {
    const p = planIdle(gaps([40 * MIN, 90 * MIN, 25 * MIN, 140 * MIN, 60 * MIN]), 20_000, MIN, 5 * MIN)!;
    assert.equal(p.dropAt, 20_000);
    assert.ok(p.prewarmAt >= 139 * MIN, `no pre-warm before the longest gap (${p.prewarmAt})`);
  });

  it('a big burst after each gap is worth keeping for, and one gap is never trusted alone', () => {
    const regular = gaps([9.5 * MIN, 10 * MIN, 10.4 * MIN, 9.8 * MIN], 200);
    assert.equal(planIdle(regular, 20_000, MIN, 5 * MIN)!.dropAt, Infinity, '200 requests x 5 min at 1 in 5 outweighs 10 min');
    const one = planIdle([...gaps([20_000, 15_000, 12_000]), { gap: 143_000, burst: 150 }], 27_000, MIN, 5 * MIN)!;
    assert.equal(one.dropAt, Infinity, 'a single gap this long: keep');
  });
});
