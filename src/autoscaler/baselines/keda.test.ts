import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changes, drive, MIN, SEC } from '../testkit.js';
import { createKedaPolicy } from './keda.js';

const keda = (over = {}) => createKedaPolicy({ targetValue: 4, maxReplicas: 20, ...over });

describe('KEDA baseline', () => {
  it('activates 0 -> 1 at the next 30 s poll', () => {
    const steps = drive(keda(), {
      start: 0,
      durationMs: 2 * MIN,
      initialDesired: 0,
      load: () => ({}),
      held: (t) => (t >= 35 * SEC ? 2 : 0),
      replicas: () => ({}),
    });
    // polls at 15 s (the first tick) and then every 30 s: 45 s is the first poll after 35 s
    assert.deepEqual(changes(steps), [
      [15_000, 0],
      [45_000, 1],
    ]);
  });

  it('lets the HPA scale 1 <-> N on the average value', () => {
    const steps = drive(keda(), {
      durationMs: 2 * MIN,
      initialDesired: 1,
      load: (t) => ({ ongoing: t > 20 * SEC ? 24 : 2, arrivals: 1 }),
      replicas: (_, d) => ({ ready: d }),
    });
    assert.deepEqual(
      changes(steps).map(([, d]) => d),
      [1, 5, 6],
    );
  });

  it('goes N -> 0 directly once inactive for the 300 s cooldown (bypassing the HPA scale-down policy)', () => {
    const steps = drive(keda(), {
      durationMs: 10 * MIN,
      initialDesired: 6,
      load: (t) => ({ ongoing: t <= 60 * SEC ? 24 : 0 }),
      replicas: (_, d) => ({ ready: d }),
    });
    const c = changes(steps);
    // last active poll at 45 s; inactive polls from 75 s; zero at the first tick >= 45 + 300 s
    assert.deepEqual(c, [
      [15_000, 6],
      [345_000, 0],
    ]);
  });

  it('an idle target that was never active goes to zero at the first poll', () => {
    const steps = drive(keda(), { durationMs: 1 * MIN, initialDesired: 3, load: () => ({}), replicas: (_, d) => ({ ready: d }) });
    assert.deepEqual(changes(steps), [[15_000, 0]]);
  });

  it('keeps minReplicaCount above 0 when set', () => {
    const steps = drive(keda({ minReplicas: 2 }), {
      durationMs: 10 * MIN,
      initialDesired: 2,
      load: () => ({ ongoing: 0 }),
      replicas: (_, d) => ({ ready: d }),
    });
    assert.ok(steps.every((s) => s.desired === 2));
  });
});
