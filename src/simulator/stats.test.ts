import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from './random.js';
import { cdfPoints, fractionAtOrUnder, percentileOf, selectPercentiles, sortedFinite } from './stats.js';

test('quickselect percentiles equal nearest-rank percentiles of the sorted values', () => {
  const r = mulberry32(3);
  for (const n of [1, 2, 7, 100, 5001]) {
    const a = new Float64Array(n).map(() => Math.floor(r() * 50) * (r() < 0.5 ? 1 : 3.7));
    const sorted = Float64Array.from(a).sort();
    const ps = [1, 50, 95, 99, 100];
    assert.deepEqual(
      selectPercentiles(Float64Array.from(a), ps),
      ps.map((p) => percentileOf(sorted, p)),
      `n=${n}`,
    );
  }
});

test('failed requests (Infinity) are misses for the SLO and cap the CDF below 1', () => {
  const v = new Float64Array([100, Infinity, 300, 2500, 50]);
  const s = sortedFinite(v);
  assert.deepEqual([...s], [50, 100, 300, 2500]);
  assert.equal(fractionAtOrUnder(s, v.length, 2000), 3 / 5);
  const cdf = cdfPoints(s, v.length, 4);
  assert.equal(cdf[cdf.length - 1][1], 4 / 5);
});
