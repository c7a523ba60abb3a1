import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changes, drive, MIN, SEC } from '../testkit.js';
import { createSkyServePolicy } from './skyserve.js';

const sky = (over = {}) => createSkyServePolicy({ targetQpsPerReplica: 1, maxReplicas: 10, ...over });

describe('SkyServe baseline', () => {
  it('scales up after 300 s of higher targets, decided every 20 s', () => {
    const steps = drive(sky(), {
      durationMs: 8 * MIN,
      initialDesired: 1,
      load: () => ({ arrivals: 3 }), // 3 qps -> 3 replicas
      replicas: (_, d) => ({ ready: d }),
    });
    // decisions at 5 s (which sees 0.25 qps: stays 1), 25 s, 45 s, ...; the 15th "higher" one is at 305 s
    assert.deepEqual(changes(steps), [
      [5000, 1],
      [305_000, 3],
    ]);
  });

  it('scales down after 1200 s of lower targets', () => {
    const steps = drive(sky({ minReplicas: 1 }), {
      durationMs: 25 * MIN,
      initialDesired: 4,
      load: () => ({ arrivals: 0 }),
      replicas: (_, d) => ({ ready: d }),
    });
    assert.deepEqual(changes(steps), [
      [5000, 4],
      [1_185_000, 1],
    ]);
  });

  it('from zero replicas applies the target at once (no buffering: retries count as requests)', () => {
    const steps = drive(sky({ minReplicas: 0 }), {
      durationMs: 2 * MIN,
      initialDesired: 0,
      load: (t) => ({ arrivals: t >= 30 * SEC ? 2 : 0 }),
      replicas: (_, d) => ({ ready: d }),
    });
    assert.deepEqual(changes(steps), [
      [5000, 0],
      [30_000, 1],
    ]);
  });
});
