import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changes, drive, input, MIN, SEC } from '../testkit.js';
import { createRayPolicy } from './ray.js';

const ray = (over = {}) => createRayPolicy({ targetOngoingRequests: 2, maxReplicas: 10, ...over });

describe('Ray Serve baseline', () => {
  it('runs its control loop every 100 ms with Ray defaults', () => {
    assert.equal(ray().tickMs, 100);
  });

  it('scales up only after 30 s of consecutive higher proposals', () => {
    const steps = drive(ray(), {
      durationMs: 2 * MIN,
      initialDesired: 1,
      load: (t) => ({ ongoing: t > 10 * SEC ? 8 : 2 }),
      replicas: (_, d) => ({ ready: d }),
    });
    const proposed = steps.find((s) => /up to \d+ in/.test(s.reason))!;
    const applied = steps.find((s) => s.desired > 1)!;
    assert.equal(applied.at - proposed.at, 30 * SEC);
    assert.equal(proposed.at, 11 * SEC, 'proposed at the first tick the 30 s average passes 2 per replica');
    assert.equal(applied.desired, 4, 'applies the latest proposal when the delay ran out: 8 / 2');
  });

  it('a proposal that lapses restarts the upscale delay', () => {
    const steps = drive(ray({ lookBackMs: 1000 }), {
      durationMs: 2 * MIN,
      initialDesired: 1,
      // high for 20 s, back to normal for 2 s, high again
      load: (t) => ({ ongoing: (t > 10 * SEC && t <= 30 * SEC) || t > 32 * SEC ? 6 : 2 }),
      replicas: (_, d) => ({ ready: d }),
    });
    const first = steps.find((s) => s.desired > 1)!;
    assert.equal(first.at, 33 * SEC + 30 * SEC, 'counted again from the second rise');
  });

  it('scales down after 600 s, and only 1 -> 0 reaches zero', () => {
    const steps = drive(ray({ minReplicas: 0 }), {
      durationMs: 25 * MIN,
      initialDesired: 3,
      load: () => ({ ongoing: 0 }),
      replicas: (_, d) => ({ ready: d }),
    });
    assert.deepEqual(changes(steps), [
      [100, 3],
      [600_100, 1],
      [1_200_200, 0],
    ]);
  });

  it('with no running replica, queued requests scale to 1 at once', () => {
    const p = ray({ minReplicas: 0 });
    const r = p.decide(input({ now: 5000, heldAtZero: 3, replicas: { desired: 0 } }), p.init(0));
    assert.equal(r.desired, 1);
    const waiting = p.decide(input({ now: 5000, heldAtZero: 3, replicas: { desired: 2, starting: 2 } }), p.init(0));
    assert.equal(waiting.desired, 2, 'replicas on their way: hold');
  });

  it('uses the 30 s look-back of running + queued requests', () => {
    const p = ray();
    const s = Array.from({ length: 30 }, (_, i) => ({ at: (i + 1) * SEC, ongoing: i < 15 ? 2 : 6, queued: i < 15 ? 0 : 2, arrivals: 0 }));
    const r = p.decide(input({ now: 30 * SEC, samples: s, replicas: { ready: 2, desired: 2 } }), p.init(0));
    assert.match(r.reason, /total 5 \/ target 2, running 2 -> 3/);
  });
});
