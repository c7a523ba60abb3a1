/**
 * The learned-capacity behaviours of our policy (issue #13): the TTFT split (no replicas for a prefill-bound
 * breach, at most 2x the load term), cold-start discipline (held requests asked for at once, nothing
 * cancelled while requests wait), scale-to-zero-after as a bound from any replica count and without
 * history, and consolidation (N -> N-1 only with a margin).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOurPolicy } from './ours.js';
import { buildAutoscaleSpec, type AutoscaleInput } from './spec.js';
import { changes, desiredAt, drive, input, MIN, runScenario, SEC, samples } from './testkit.js';

const policy = (over: AutoscaleInput = {}) => createOurPolicy(buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 64, targetOngoingRequests: 4, ...over }));

describe('TTFT split', () => {
  it('a breach that is mostly prefill adds no replicas and says so', () => {
    const p = policy({ ttftP95Ms: '1s' });
    const now = 60 * SEC;
    // 2.4 s TTFT p95, of which 0.1 s waiting for a slot: long prompts
    const s = samples(0, now, () => ({ ongoing: 6, queued: 0, arrivals: 1, ttftP95Ms: 2400, waitP95Ms: 100, prefillMs: 2300, promptTokens: 9000 }));
    const r = p.decide(input({ now, samples: s, replicas: { ready: 2, desired: 2 } }), p.init(0));
    assert.equal(r.desired, 2, 'the load term asks for 2; the breach adds none');
    assert.match(r.reason, /ttft p95 2\.4s is above the 1s SLO, 96% of it prefill \(wait p95 100ms\): more replicas would not help/);
    assert.equal(r.state.sloCase, 'prefill');
    assert.match(r.notice ?? '', /^TTFT SLO breach that replicas cannot fix: .*96% of it prefill/, 'an event when it begins');
    const again = p.decide(input({ now: now + 1000, samples: s, replicas: { ready: 2, desired: 2 } }), r.state);
    assert.equal(again.notice, undefined, 'said once');
  });

  it('a wait-bound breach sizes from the queueing model, never above 2x the load term, even when no count can meet the SLO', () => {
    // a TTFT SLO no replica count can meet: 900 ms of prefill under a 1 s SLO, and the wait stays high
    // whatever the count (the sim-free testkit keeps the TTFT fixed): replicas stay within 2x the load term
    const steps = runScenario({
      policy: policy({ ttftP95Ms: '1s', maxScaleUpPerMinute: 1000 }),
      initial: { ready: 2 },
      durationMs: 20 * MIN,
      coldStartMs: MIN,
      perReplica: 100,
      demand: () => ({ load: 8, arrivals: 4, ttftP95Ms: 5000 }),
    });
    const top = Math.max(...steps.map((s) => s.desired));
    assert.ok(top <= 4, `load asks for 2 (8 / 4): at most 4, got ${top}`);
    assert.ok(top >= 3, 'but the breach does add replicas');
    assert.match(steps[steps.length - 1].reason, /wait p95 5s = 4/);
  });
});

describe('cold-start discipline', () => {
  it('a burst held at zero asks at once for what the held requests need', () => {
    const p = policy({ targetOngoingRequests: 2, maxReplicas: 8 });
    const r = p.decide(input({ now: 10 * SEC, heldAtZero: 8, replicas: { desired: 1, starting: 1 } }), p.init(0));
    assert.equal(r.desired, 4);
    assert.match(r.reason, /held 8\) \/ target 2 = 4 replicas/);
  });

  it('replicas starting for waiting requests are never cancelled, even when the averages lag', () => {
    // 8 requests arrive at zero at 10 s; replicas take 30 s; the 60 s average is tiny all along
    const steps = runScenario({
      policy: policy({ targetOngoingRequests: 2, maxReplicas: 8 }),
      durationMs: 2 * MIN,
      coldStartMs: 30 * SEC,
      perReplica: 2,
      demand: (t) => ({ load: t >= 10 * SEC && t < 70 * SEC ? 8 : 0, arrivals: t === 10 * SEC ? 8 : 0 }),
    });
    const c = changes(steps);
    const during = c.filter(([at]) => at >= 10 * SEC && at < 70 * SEC).map(([, d]) => d);
    assert.deepEqual(during, [4], `straight to 4 and held there: ${JSON.stringify(c)}`);
  });
});

describe('scale to zero as the user asked', () => {
  it('N idle replicas go to zero at scale-to-zero-after, with no history needed (a fresh state)', () => {
    const p = policy({ scaleToZeroAfterMs: '15s', downscaleDelayMs: '10m' });
    const steps = drive(p, {
      durationMs: 60 * SEC,
      initialDesired: 4,
      load: (t) => (t <= 5 * SEC ? { ongoing: 8, arrivals: 2 } : {}),
      replicas: (_t, desired) => ({ ready: desired, desired }),
    });
    const zeroAt = steps.find((s) => s.desired === 0)?.at;
    assert.ok(zeroAt !== undefined && zeroAt >= 20 * SEC && zeroAt <= 21 * SEC, `zero at ${zeroAt}`);
    assert.match(steps.find((s) => s.desired === 0)!.reason, /scale to zero/);
  });

  it('a schedule floor holds idle replicas past the bound, and the reason says so', () => {
    const p = policy({ scaleToZeroAfterMs: '15s', schedules: ['daily 00:00-23:59 at least 2'] });
    const steps = drive(p, {
      durationMs: 60 * SEC,
      initialDesired: 2,
      load: () => ({}),
      replicas: (_t, desired) => ({ ready: desired, desired }),
    });
    assert.equal(desiredAt(steps, 60 * SEC), 2);
    assert.match(steps[steps.length - 1].reason, /kept by the schedule/);
  });
});

describe('consolidation', () => {
  it('N -> N-1 only when the load fits N-1 with a margin (no 2 <-> 1 flapping at the target)', () => {
    // 4 in flight at a target of 4: one replica would run exactly at the target; the margin keeps 2
    const run = (load: number) =>
      runScenario({
        policy: policy({ minReplicas: 1, downscaleDelayMs: '2m' }),
        initial: { ready: 2 },
        durationMs: 15 * MIN,
        demand: () => ({ load, arrivals: 1 }),
      });
    assert.ok(
      run(4).every((s) => s.desired === 2),
      'held at 2',
    );
    assert.equal(desiredAt(run(3), 15 * MIN), 1, '3 fits one replica within the margin');
  });
});
