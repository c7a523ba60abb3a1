import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sample, samples } from '../testkit.js';
import { latestSample, percentile, samplesIn, ttftP95, windowAverage, windowSum } from './average.js';

describe('window statistics', () => {
  const s = samples(0, 20_000, (t) => ({ ongoing: t / 1000, queued: 1, arrivals: 2, ttftP95Ms: t }));
  it('averages over (now - window, now]', () => {
    assert.equal(windowAverage(s, 20_000, 5000, 'ongoing'), (16 + 17 + 18 + 19 + 20) / 5);
    assert.equal(windowAverage(s, 20_000, 5000, 'load'), 19);
    assert.equal(
      windowAverage(s, 10_000, 2000, (x) => x.ongoing * 2),
      19,
    );
    assert.equal(windowAverage(s, 100_000, 5000, 'ongoing'), undefined);
    assert.equal(windowSum(s, 20_000, 10_000, 'arrivals'), 20);
    assert.equal(samplesIn(s, 10_000, 3000).length, 3);
    assert.equal(latestSample(s, 9500)?.at, 9000);
  });
  it('p95 of TTFT samples, ignoring those before a capacity change', () => {
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95), 19);
    assert.equal(percentile([], 95), undefined);
    assert.equal(ttftP95(s, 20_000, 20_000), 19_000);
    assert.equal(ttftP95(s, 20_000, 20_000, 18_000), 20_000);
    assert.equal(ttftP95([sample(1000, 1)], 1000, 5000), undefined);
  });
});
