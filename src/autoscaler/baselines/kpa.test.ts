import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changes, desiredAt, drive, input, MIN, SEC, samples } from '../testkit.js';
import { createKpaPolicy } from './kpa.js';

// target 10 at utilization 1 keeps the numbers round; the default utilization is tested on its own
const kpa = (over = {}) => createKpaPolicy({ targetConcurrency: 10, targetUtilization: 1, maxReplicas: 100, ...over });

describe('Knative KPA baseline', () => {
  it('aims at 70% of the target by default and decides every 2 s', () => {
    const p = createKpaPolicy({ targetConcurrency: 10, maxReplicas: 100 });
    assert.equal(p.tickMs, 2000);
    const now = 60 * SEC;
    const r = p.decide(input({ now, samples: samples(0, now, () => ({ ongoing: 28 })), replicas: { ready: 4, desired: 4 } }), p.init(0));
    assert.equal(r.desired, 4, '28 / (10 x 0.7) = 4');
  });

  it('stable mode: ceil(60 s average / target), at most halving per decision', () => {
    const p = kpa();
    const now = 60 * SEC;
    const s = samples(0, now, () => ({ ongoing: 25 }));
    assert.equal(p.decide(input({ now, samples: s, replicas: { ready: 3, desired: 3 } }), p.init(0)).desired, 3);
    const idle = samples(0, now, () => ({ ongoing: 1 }));
    assert.equal(p.decide(input({ now, samples: idle, replicas: { ready: 10, desired: 10 } }), p.init(0)).desired, 5);
  });

  it('enters panic at 2x ready capacity in the 6 s window and never scales down while panicking', () => {
    // 2 pods at 10 each; a 6-second burst to 50 at 60 s, then back to 10
    const steps = drive(kpa(), {
      durationMs: 4 * MIN,
      initialDesired: 2,
      load: (t) => ({ ongoing: t > 60 * SEC && t <= 66 * SEC ? 50 : 10 }),
      replicas: () => ({ ready: 2 }),
    });
    const entered = steps.find((s) => /panicking/.test(s.reason))!;
    assert.ok(entered.at > 60 * SEC && entered.at <= 66 * SEC);
    assert.equal(desiredAt(steps, 66 * SEC), 5, 'panic window average 50 / 10');
    // the burst is over at 66 s, but panic holds the maximum for a stable window after the last trigger
    assert.ok(steps.filter((s) => s.at > 66 * SEC && s.at <= 126 * SEC).every((s) => s.desired === 5));
    assert.match(steps.find((s) => s.at === 100 * SEC)!.reason, /panicking \(max 5\)/);
    // then stable mode again: the 60 s average is back to 10 -> 1 pod
    assert.equal(desiredAt(steps, 3 * MIN), 1);
    assert.match(steps.find((s) => s.at === 3 * MIN)!.reason, /kpa stable/);
  });

  it('scales to zero only after the stable average is 0 plus the 30 s grace period', () => {
    const steps = drive(kpa(), {
      durationMs: 5 * MIN,
      initialDesired: 1,
      load: (t) => ({ ongoing: t <= 60 * SEC ? 5 : 0 }),
      replicas: (_, d) => ({ ready: d }),
    });
    // last request at 60 s; the stable average reaches 0 at 120 s; zero 30 s later
    assert.deepEqual(changes(steps), [
      [2000, 1],
      [150_000, 0],
    ]);
  });

  it('at zero the activator reports buffered requests at once: 0 -> 1', () => {
    const p = kpa();
    const r = p.decide(input({ now: 10 * MIN, heldAtZero: 1, replicas: { desired: 0 } }), p.init(0));
    assert.equal(r.desired, 1);
    const many = p.decide(
      input({ now: 10 * MIN, heldAtZero: 120, samples: [{ at: 10 * MIN, ongoing: 0, queued: 120, arrivals: 120 }], replicas: { desired: 0 } }),
      p.init(0),
    );
    assert.equal(many.desired, 12, 'a burst at zero panics straight to its size');
  });

  it('sees only ready pods: starting pods do not count in the panic ratio', () => {
    const p = kpa();
    const now = 60 * SEC;
    const s = samples(0, now, () => ({ ongoing: 40 }));
    const r = p.decide(input({ now, samples: s, replicas: { ready: 1, starting: 3, desired: 4 } }), p.init(0));
    assert.match(r.reason, /panicking/, '40 / 10 / 1 ready = 4x');
    assert.equal(r.desired, 4);
  });
});
