import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOurPolicy } from './ours.js';
import { buildAutoscaleSpec } from './spec.js';
import { input, MIN, runScenario, SEC, type InputParts } from './testkit.js';
import { missCostMs, wayBack } from './tiers.js';
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

  it('a call every 10 minutes: with sleeping replicas the pre-warm comes a wake ahead of the call, not a cold start', () => {
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
    const warm = prewarmAt(run(sleeping(createOurPolicy(spec('sleep')), 3 * SEC)));
    assert.match(cold.reason, /pre-warm, back by a cold start/);
    assert.match(warm.reason, /pre-warm, back by a wake \(3s, 1 asleep\)/);
    assert.ok(cold.lead >= MIN, `started a cold start ahead of the call (${cold.lead} ms)`);
    assert.ok(warm.lead >= 3 * SEC && warm.lead < 10 * SEC, `woken a wake ahead of the call (${warm.lead} ms), not a cold start`);
  });

  it('a miss costs the user bound unless the way back is a wake within the TTFT SLO, which costs only the wake', () => {
    const bound = { scaleToZeroAfterMs: 5 * MIN };
    const wake = (ms: number) => wayBack(input({ now: 0, coldStartMs: MIN, wakeMs: ms, sleeping: 1 }));
    const cold = wayBack(input({ now: 0, coldStartMs: MIN }));
    assert.equal(missCostMs(wake(1 * SEC), { ...bound, ttftP95Ms: 2 * SEC }), 1 * SEC, 'a 1 s wake meets a 2 s SLO: sleeping early costs no attainment');
    assert.equal(missCostMs(wake(3 * SEC), { ...bound, ttftP95Ms: 2 * SEC }), 5 * MIN, 'a 3 s wake misses a 2 s SLO like a cold start');
    assert.equal(missCostMs(wake(1 * SEC), bound), 5 * MIN, 'no SLO in the spec: the policy cannot tell');
    assert.equal(missCostMs(cold, { ...bound, ttftP95Ms: 10 * MIN }), 5 * MIN, 'a cold start keeps the bound whatever the SLO');
  });
});
