import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOurPolicy } from './ours.js';
import { buildAutoscaleSpec } from './spec.js';
import { input, MIN, runScenario, SEC, type InputParts } from './testkit.js';
import { idleTerms, wayBack } from './tiers.js';
import type { PolicyInput, ScalingPolicy } from './types.js';

const spec = (idle: 'sleep' | 'stop') => buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 4, targetOngoingRequests: 4, scaleToZeroAfterMs: 30 * SEC, idle });

describe('three tiers: running, sleeping (a wake away), stopped (a cold start away)', () => {
  it('the way back is a wake where replicas sleep (one up now would sleep, or one sleeps), else a cold start', () => {
    const at = (p: Partial<InputParts>) => wayBack(input({ now: 0, coldStartMs: MIN, ...p }));
    assert.deepEqual([at({}).tier, at({}).ms], ['stopped', MIN], 'no wake time given: replicas taken down stop');
    const up = at({ wakeMs: 2 * SEC, sleeping: 0, replicas: { ready: 1, desired: 1 } });
    assert.deepEqual([up.tier, up.ms], ['sleeping', 2 * SEC]);
    assert.match(up.text, /back by a wake \(2s, replicas taken down sleep\) not a cold start \(1m\)/);
    assert.equal(at({ wakeMs: 2 * SEC, sleeping: 1 }).text.includes('1 asleep'), true);
    const gone = at({ wakeMs: 2 * SEC, sleeping: 0 });
    assert.deepEqual([gone.tier, gone.ms], ['stopped', MIN], 'at zero with none asleep (evicted): a cold start away');
  });

  it("ours' reason for scaling to zero says which tier the replica goes to and why", () => {
    const decide = (extra: Partial<PolicyInput>) => {
      const p = createOurPolicy(spec('sleep'));
      const replicas = { ready: 1, desired: 1 };
      const first = p.decide({ ...input({ now: 0, coldStartMs: MIN, replicas }), ...extra }, p.init(0));
      return p.decide({ ...input({ now: 40 * SEC, coldStartMs: MIN, replicas }), ...extra }, first.state);
    };
    const asleep = decide({ wakeMs: 3 * SEC, sleeping: 0 });
    assert.equal(asleep.desired, 0);
    assert.match(asleep.reason, /scale to zero, back by a wake \(3s, replicas taken down sleep\)/);
    const stopped = decide({});
    assert.equal(stopped.desired, 0);
    assert.match(stopped.reason, /scale to zero, back by a cold start \(1m, replicas taken down stop\)/);
  });

  it('a call every 10 minutes: with sleeping replicas whose wake meets the SLO the pre-warm comes a wake ahead of the call; above the SLO, a cold start ahead', () => {
    /** feeds the policy the sleeping tier, as the live loop does for a deployment idle by sleep */
    const sleeping = (p: ScalingPolicy<unknown>, wakeMs: number): ScalingPolicy<unknown> => ({
      ...p,
      decide: (i, s) => p.decide({ ...i, wakeMs, sleeping: i.replicas.ready + i.replicas.starting === 0 ? 1 : 0 }, s),
    });
    const run = (policy: ScalingPolicy<unknown>) =>
      runScenario({
        policy,
        initial: { ready: 1 },
        durationMs: 80 * MIN,
        coldStartMs: MIN,
        demand: (t) => {
          const m = t % (10 * MIN);
          return { load: m >= 5 * SEC && m < 8 * SEC ? 1 : 0, arrivals: m === 5 * SEC ? 1 : 0 };
        },
      });
    /** how long before the next call (at 5 s past each 10 minutes) the replica was asked back */
    const prewarmAt = (steps: ReturnType<typeof run>) => {
      const s = steps.find((x) => x.at > 60 * MIN && /pre-warm/.test(x.reason))!;
      return { lead: (10 * MIN + 5 * SEC - (s.at % (10 * MIN))) % (10 * MIN), reason: s.reason };
    };
    const cold = prewarmAt(run(createOurPolicy(spec('stop'))));
    const withSlo = (ms: number) => ({ ...spec('sleep'), ttftP95Ms: ms });
    const warm = prewarmAt(run(sleeping(createOurPolicy(withSlo(5 * SEC)), 3 * SEC)));
    const slow = prewarmAt(run(sleeping(createOurPolicy(withSlo(2 * SEC)), 3 * SEC)));
    assert.match(cold.reason, /pre-warm, back by a cold start/);
    assert.match(warm.reason, /pre-warm, back by a wake \(3s, 1 asleep\)/);
    assert.ok(cold.lead >= MIN, `started a cold start ahead of the call (${cold.lead} ms)`);
    assert.ok(warm.lead >= 3 * SEC && warm.lead < 10 * SEC, `a 3 s wake within a 5 s SLO: woken a wake ahead of the call (${warm.lead} ms), not a cold start`);
    assert.match(slow.reason, /pre-warm, back by a wake \(3s, 1 asleep\)/);
    assert.ok(slow.lead >= MIN, `a 3 s wake above a 2 s SLO: planned as a cold start (${slow.lead} ms ahead)`);
  });

  it('a quiet spell is planned with the wake only where the wake meets the TTFT SLO; else as for a cold start', () => {
    const bound = { scaleToZeroAfterMs: 5 * MIN };
    const wake = (ms: number) => wayBack(input({ now: 0, coldStartMs: MIN, wakeMs: ms, sleeping: 1 }));
    const cold = wayBack(input({ now: 0, coldStartMs: MIN }));
    assert.deepEqual(
      idleTerms(wake(1 * SEC), MIN, { ...bound, ttftP95Ms: 2 * SEC }),
      { ms: 1 * SEC, missCostMs: 1 * SEC },
      'a 1 s wake meets a 2 s SLO: a miss costs only the wake',
    );
    assert.deepEqual(
      idleTerms(wake(3 * SEC), MIN, { ...bound, ttftP95Ms: 2 * SEC }),
      { ms: MIN, missCostMs: 5 * MIN },
      'a 3 s wake misses a 2 s SLO as a cold start does',
    );
    assert.deepEqual(idleTerms(wake(1 * SEC), MIN, bound), { ms: MIN, missCostMs: 5 * MIN }, 'no SLO in the spec: the policy cannot tell');
    assert.deepEqual(idleTerms(cold, MIN, { ...bound, ttftP95Ms: 10 * MIN }), { ms: MIN, missCostMs: 5 * MIN }, 'a cold start keeps its plan whatever the SLO');
  });
});
