import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changes, drive, input, MIN, SEC, samples } from '../testkit.js';
import { createHpaPolicy, externalAverageReplicas, podsMetricReplicas } from './hpa.js';

const hpa = (over = {}) => createHpaPolicy({ targetOngoingRequests: 4, maxReplicas: 50, ...over });

describe('Kubernetes HPA v2 baseline', () => {
  it('syncs every 15 s and never goes below 1', () => {
    const p = hpa({ minReplicas: 0 });
    assert.equal(p.tickMs, 15_000);
    const r = p.decide(input({ now: 10 * MIN, replicas: { ready: 1, desired: 1 } }), p.init(0));
    assert.equal(r.desired, 1);
  });

  it('ignores changes within the 0.1 tolerance', () => {
    assert.equal(podsMetricReplicas(4, 17.5, 4, 0, 4, 0.1), 4, 'ratio 1.094');
    assert.equal(podsMetricReplicas(4, 17.7, 4, 0, 4, 0.1), 5, 'ratio 1.106');
    assert.equal(podsMetricReplicas(4, 14.5, 4, 0, 4, 0.1), 4, 'ratio 0.906');
    assert.equal(podsMetricReplicas(4, 14.3, 4, 0, 4, 0.1), 4, 'ratio 0.894 -> ceil(3.575) = 4');
    assert.equal(podsMetricReplicas(4, 10, 4, 0, 4, 0.1), 3);
  });

  it('averages over ready pods; pods without metrics count as 0 for a scale-up (no cascade)', () => {
    // 16 requests over 2 ready pods, 2 more starting: with the starting ones at 0 the ratio is 1 -> hold 4
    assert.equal(podsMetricReplicas(4, 16, 2, 2, 4, 0.1), 4);
    // 32 requests: 32 / 4 pods / 4 = 2 -> 8
    assert.equal(podsMetricReplicas(4, 32, 2, 2, 4, 0.1), 8);
    // no ready pod, no metric: no change
    assert.equal(podsMetricReplicas(3, 50, 0, 3, 4, 0.1), 3);
    assert.equal(externalAverageReplicas(2, 40, 4, 0.1), 10);
    assert.equal(externalAverageReplicas(2, 8.5, 4, 0.1), 2);
  });

  it('adds at most max(4 pods, 100%) per 15 s', () => {
    const steps = drive(hpa(), {
      durationMs: 2 * MIN,
      initialDesired: 1,
      load: () => ({ ongoing: 160 }),
      replicas: (_, d) => ({ ready: d }),
    });
    // 1 -> 5 (+4 beats +100%) -> 10 (+100%) -> 20 -> 40 -> 40 (160 / 4)
    assert.deepEqual(
      changes(steps).map(([, d]) => d),
      [5, 10, 20, 40],
    );
  });

  it('scales down only to the highest recommendation of the last 300 s', () => {
    const steps = drive(hpa(), {
      durationMs: 10 * MIN,
      initialDesired: 8,
      load: (t) => ({ ongoing: t <= 60 * SEC ? 32 : 4 }),
      replicas: (_, d) => ({ ready: d }),
    });
    const c = changes(steps);
    assert.equal(c[0][1], 8);
    const down = c.find(([, d]) => d < 8)!;
    // the 60 s metric window falls below 32 at 75 s... the last 8-recommendation is at 120 s; + 300 s
    assert.ok(down[0] >= 60 * SEC + 300 * SEC, `down at ${down[0] / 1000}s`);
    assert.ok(down[0] <= 60 * SEC + 300 * SEC + 60 * SEC);
    assert.equal(c[c.length - 1][1], 1);
  });

  it('reads the metric over its 60 s window', () => {
    const p = hpa();
    const now = 60 * SEC;
    const s = samples(0, now, (t) => ({ ongoing: t > 30 * SEC ? 16 : 0 }));
    assert.match(p.decide(input({ now, samples: s, replicas: { ready: 2, desired: 2 } }), p.init(0)).reason, /4 per ready pod/);
  });
});
