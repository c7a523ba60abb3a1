import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sample, samples } from '../testkit.js';
import { latestSample, percentile, samplesIn, ttftP95, windowAverage, windowSum } from './average.js';
import { capToPlaceable, ceilReplicas, clampReplicas } from './clamp.js';
import { withDefaults } from './defaults.js';
import { changedWithin, limitScaleUp, recordScaleEvent } from './rate-limit.js';
import { lastActivityAt, scaleToZeroGate } from './scale-to-zero.js';
import { maxSince, minSince, recordRecommendation, stabilize } from './stabilize.js';

describe('clamp', () => {
  it('clamps to bounds as whole replicas', () => {
    assert.equal(clampReplicas(7, 1, 5), 5);
    assert.equal(clampReplicas(0, 1, 5), 1);
    assert.equal(clampReplicas(2.1, 0, 5), 3);
    assert.equal(clampReplicas(NaN, 2, 5), 2);
  });
  it('ceil forgives floating-point noise', () => {
    assert.equal(ceilReplicas((0.1 + 0.2) / 0.3), 1);
    assert.equal(ceilReplicas(2.0000000001), 2);
    assert.equal(ceilReplicas(2.01), 3);
    assert.equal(ceilReplicas(0), 0);
    assert.equal(ceilReplicas(-3), 0);
  });
  it('caps at placeable replicas and says so', () => {
    assert.deepEqual(capToPlaceable(6, 4), { desired: 4, capped: true });
    assert.deepEqual(capToPlaceable(3, 4), { desired: 3, capped: false });
    assert.deepEqual(capToPlaceable(3, undefined), { desired: 3, capped: false });
  });
  it('withDefaults keeps defaults for undefined options', () => {
    assert.deepEqual(withDefaults({ a: 1, b: 2 }, { a: undefined, b: 3 }), { a: 1, b: 3 });
  });
});

describe('stabilization over recommendations', () => {
  const recs = [
    { at: 0, replicas: 5 },
    { at: 100_000, replicas: 3 },
    { at: 200_000, replicas: 2 },
  ];
  it('keeps recommendations for the window only', () => {
    const out = recordRecommendation(recs, { at: 300_000, replicas: 1 }, 150_000);
    assert.deepEqual(out.map((r) => r.at), [200_000, 300_000]);
  });
  it('down: the highest recommendation of the window; up: the lowest', () => {
    const all = recordRecommendation(recs, { at: 250_000, replicas: 1 }, 1e9);
    assert.equal(maxSince(all, 250_000, 300_000, 1), 5);
    assert.equal(maxSince(all, 250_000, 100_000, 1), 2);
    assert.equal(minSince(all, 250_000, 300_000, 9), 1);
    // HPA: scaling down from 5 with a 300 s window still sees the 5 -> stays
    assert.equal(stabilize(all, 250_000, 5, 1, 0, 300_000), 5);
    // with a 160 s window the highest recent is 3, with 100 s it is 2
    assert.equal(stabilize(all, 250_000, 5, 1, 0, 160_000), 3);
    assert.equal(stabilize(all, 250_000, 5, 1, 0, 100_000), 2);
    // up with a 0 s window follows the current recommendation at once
    const up = recordRecommendation(all, { at: 260_000, replicas: 8 }, 1e9);
    assert.equal(stabilize(up, 260_000, 5, 8, 0, 300_000), 8);
    // up with a 60 s window: the lowest of the last minute (1) is below current: hold
    assert.equal(stabilize(up, 260_000, 5, 8, 60_000, 300_000), 5);
  });
});

describe('scale-up rate limit', () => {
  it('allows at most N additions per rolling minute', () => {
    let events = recordScaleEvent([], 0, 3, 60_000);
    assert.equal(changedWithin(events, 30_000, 60_000), 3);
    assert.deepEqual(limitScaleUp(3, 10, events, 30_000, 4), { desired: 4, limited: true, allowance: 1 });
    events = recordScaleEvent(events, 30_000, 1, 60_000);
    assert.deepEqual(limitScaleUp(4, 10, events, 59_000, 4), { desired: 4, limited: true, allowance: 0 });
    // the first event leaves the window after a minute
    assert.deepEqual(limitScaleUp(4, 10, events, 60_000, 4), { desired: 7, limited: true, allowance: 3 });
    assert.deepEqual(limitScaleUp(4, 2, events, 60_000, 4).limited, false, 'scale-down passes');
    assert.equal(recordScaleEvent(events, 200_000, 0, 60_000).length, 0, 'old events are forgotten');
  });
});

describe('idle-gated scale to zero', () => {
  const s = [sample(1000, 1, 0, 1), sample(2000, 0.4, 0, 0), sample(3000, 0, 0, 0), sample(4000, 0, 0, 0)];
  it('idle counts from the last activity, including a stream finishing', () => {
    assert.equal(lastActivityAt(s, 4000, 0), 2000);
    assert.equal(lastActivityAt(s, 4000, 3500), 3500, 'never goes back before the remembered time');
    assert.equal(lastActivityAt(s, 4000, 0, 2), 4000, 'held requests are activity now');
    assert.equal(lastActivityAt([sample(1000, 0, 3, 0)], 1000, 0), 1000, 'queued is activity');
  });
  it('opens only at min 0, with nothing held or starting, after the idle period', () => {
    const base = { now: 400_000, idleSince: 100_000, idleAfterMs: 300_000, minReplicas: 0, starting: 0, heldAtZero: 0 };
    assert.equal(scaleToZeroGate(base).allowed, true);
    assert.equal(scaleToZeroGate({ ...base, now: 399_999 }).allowed, false);
    assert.equal(scaleToZeroGate({ ...base, minReplicas: 1 }).allowed, false);
    assert.equal(scaleToZeroGate({ ...base, heldAtZero: 1 }).allowed, false);
    const starting = scaleToZeroGate({ ...base, starting: 1 });
    assert.equal(starting.allowed, false);
    assert.match(starting.reason, /starting/);
  });
});

describe('window statistics', () => {
  const s = samples(0, 20_000, (t) => ({ ongoing: t / 1000, queued: 1, arrivals: 2, ttftP95Ms: t }));
  it('averages over (now - window, now]', () => {
    assert.equal(windowAverage(s, 20_000, 5000, 'ongoing'), (16 + 17 + 18 + 19 + 20) / 5);
    assert.equal(windowAverage(s, 20_000, 5000, 'load'), 19);
    assert.equal(windowAverage(s, 10_000, 2000, (x) => x.ongoing * 2), 19);
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
