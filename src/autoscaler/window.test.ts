import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN, sample, samples } from './testkit.js';
import { bucketSamples, DemandHistory, SignalWindow } from './window.js';

describe('SignalWindow', () => {
  it('keeps the last hour, oldest first', () => {
    const w = new SignalWindow();
    for (const s of samples(0, 2 * 3_600_000, () => ({ ongoing: 1 }), 60_000)) w.add(s);
    const got = w.samples();
    assert.equal(got[0].at, 3_600_000);
    assert.equal(got[got.length - 1].at, 7_200_000);
    assert.equal(w.size, 61);
  });
  it('orders late samples and replaces duplicates', () => {
    const w = new SignalWindow(10_000);
    w.add(sample(1000, 1));
    w.add(sample(3000, 3));
    w.add(sample(2000, 2));
    w.add(sample(3000, 4));
    assert.deepEqual(
      w.samples().map((s) => [s.at, s.ongoing]),
      [
        [1000, 1],
        [2000, 2],
        [3000, 4],
      ],
    );
    w.prune(12_500);
    assert.deepEqual(
      w.samples().map((s) => s.at),
      [3000],
    );
  });
});

describe('demand buckets', () => {
  const s = samples(0, 10 * MIN, (t) => ({ ongoing: t < 5 * MIN ? 2 : 6, queued: t < 5 * MIN ? 0 : 1, arrivals: 3 }));
  it('bucketSamples averages concurrency and turns arrivals into a rate', () => {
    const pts = bucketSamples(s);
    assert.equal(pts.length, 3); // 0-5 min (299 samples), 5-10 min (300), 10 min (1)
    assert.deepEqual(pts[0], { at: 0, concurrency: 2, rate: 3 });
    assert.deepEqual(pts[1], { at: 5 * MIN, concurrency: 7, rate: 3 });
  });
  it('DemandHistory closes a bucket when the next one starts', () => {
    const h = new DemandHistory();
    const closed = s.map((x) => h.record(x)).filter((p) => p !== undefined);
    assert.deepEqual(closed, bucketSamples(s).slice(0, 2));
    assert.deepEqual(h.history(), closed);
    assert.equal(h.record(sample(1000, 9)), undefined, 'a late sample is ignored');
  });
  it('DemandHistory forgets points past its maximum age', () => {
    const h = new DemandHistory([], 5 * MIN, 30 * MIN);
    for (const x of samples(0, 3_600_000, () => ({ ongoing: 1 }), 30_000)) h.record(x);
    assert.ok(h.history()[0].at >= 3_600_000 - 35 * MIN);
    assert.ok(h.history().length <= 7);
  });
});
