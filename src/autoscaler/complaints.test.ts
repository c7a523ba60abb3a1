/**
 * The ten complaints of /shared/reference/autoscaling-baselines.md (and three more it names), each as a
 * fixed scenario our policy passes. Where part of a complaint lies outside the policy, the test says
 * which module covers the rest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOurPolicy, TUNING } from './ours.js';
import { buildAutoscaleSpec, type AutoscaleInput } from './spec.js';
import { changes, desiredAt, input, MIN, runScenario, SEC, samples, type Step } from './testkit.js';
import type { DemandPoint } from './types.js';

const policy = (over: AutoscaleInput = {}) => createOurPolicy(buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 8, targetOngoingRequests: 4, ...over }));
const maxDesired = (steps: readonly Step[]) => Math.max(...steps.map((s) => s.desired));

describe('the ten complaints', () => {
  it('kserve#1247: a replica still starting is never scaled to zero', () => {
    // one request at zero; the GPU node takes 15 minutes; the client gives up after 50 s
    const steps = runScenario({
      policy: policy(),
      durationMs: 25 * MIN,
      coldStartMs: 15 * MIN,
      demand: (t) => ({ load: t >= 10 * SEC && t < 60 * SEC ? 1 : 0, arrivals: t === 10 * SEC ? 1 : 0 }),
    });
    const whileStarting = steps.filter((s) => s.at > 10 * SEC && s.starting > 0);
    assert.ok(whileStarting.length > 10 * 60);
    assert.ok(
      whileStarting.every((s) => s.desired >= 1),
      'never 0 while the replica starts',
    );
    assert.match(steps.find((s) => s.at === 10 * MIN)!.reason, /not to zero: 1 starting/);
    // once ready (at ~15 min) it gets the full idle period before going to zero
    assert.equal(desiredAt(steps, 19 * MIN), 1);
    assert.equal(desiredAt(steps, 21 * MIN), 0);
  });

  it('kserve#2529: the policy hides a slow (re-downloading) cold start by pre-warming ahead of known demand', () => {
    // Not re-downloading the weights at all is the engine/provider's model cache; the policy's part is
    // to start replicas a measured cold start (download included) before the demand it can foresee.
    const day = 86_400_000;
    const first = Date.parse('2026-03-02T00:00:00Z');
    const pattern = (t: number) => (t % day >= 9 * 3_600_000 && t % day < 11 * 3_600_000 ? 16 : 0);
    const history: DemandPoint[] = [];
    for (let t = first; t < first + 8 * day + 8 * 3_600_000; t += 5 * MIN) history.push({ at: t, concurrency: pattern(t), rate: 0 });
    const start = first + 8 * day + 8 * 3_600_000; // 08:00, idle, at zero
    const steps = runScenario({
      policy: policy({ forecast: true }),
      start,
      durationMs: 70 * MIN,
      coldStartMs: 20 * MIN, // a slow model download
      history,
      demand: (t) => ({ load: pattern(t), arrivals: pattern(t) ? 1 : 0 }),
    });
    const at9 = steps.find((s) => s.at === start + 60 * MIN)!;
    assert.equal(at9.ready, 4, 'four replicas ready at 09:00 though each takes 20 minutes');
  });

  it('kserve#3561: a TTFT SLO breach scales up even when concurrency is under target', () => {
    // Token-level signals (TPOT, tokens/s) come from the gateway's metrics; the policy owns the TTFT SLO term.
    const now = 60 * SEC;
    const s = samples(0, now, () => ({ ongoing: 6, queued: 0, arrivals: 2, ttftP95Ms: 4000 }));
    const p = policy({ targetOngoingRequests: 8, ttftP95Ms: '2s' });
    const r = p.decide(input({ now, samples: s, replicas: { ready: 1, desired: 1 } }), p.init(0));
    assert.equal(r.desired, 2, 'concurrency alone asks for 1; TTFT at 2x target doubles the ready replicas');
    assert.match(r.reason, /ttft p95 4s is above the 2s SLO, wait p95 4s = 2/);
    // never more than twice what the load term asks (no runaway): from 2 ready it holds 2
    const r1 = p.decide(input({ now, samples: s, replicas: { ready: 2, desired: 2 } }), p.init(0));
    assert.equal(r1.desired, 2);
    // with at most one request per replica, more replicas cannot lower TTFT: no scale-up
    const lone = samples(0, now, () => ({ ongoing: 1, queued: 0, arrivals: 1, ttftP95Ms: 4000 }));
    const r2 = p.decide(input({ now, samples: lone, replicas: { ready: 1, desired: 1 } }), p.init(0));
    assert.equal(r2.desired, 1);
    assert.match(r2.reason, /more replicas would not help/);
  });

  it('keda#7538: queued requests drive scale-up while ongoing stays flat at saturation', () => {
    // The gateway counts its own queue and the engines' waiting queues into `queued` (gateway module).
    const steps = runScenario({
      policy: policy({ minReplicas: 2, maxReplicas: 16 }),
      initial: { ready: 2 },
      durationMs: 4 * MIN,
      perReplica: 4, // 2 replicas serve 8 at once: ongoing is flat at 8
      demand: (t) => ({ load: t > 30 * SEC ? 8 + Math.min(200, (t - 30 * SEC) / 100) : 6, arrivals: 5 }),
    });
    const firstUp = steps.find((s) => s.desired > 2)!;
    // queueing starts at 31 s; a queue that lasts the confirmation (TUNING.upConfirmShare of the 3 min cold start) is demand
    assert.ok(firstUp.at > 31 * SEC && firstUp.at <= 31 * SEC + TUNING.upConfirmShare * 3 * MIN + 10 * SEC, `first scale-up at ${firstUp.at}`);
    assert.match(firstUp.reason, /ongoing [0-9.]+, queued [1-9][0-9.]*\)/);
    assert.equal(desiredAt(steps, 4 * MIN), 16);
  });

  it('ray#18925: no flapping after a scale-up (total demand, not per-replica queue)', () => {
    const steps = runScenario({
      policy: policy(),
      initial: { ready: 2 },
      durationMs: 40 * MIN,
      coldStartMs: 2 * MIN,
      demand: () => ({ load: 16, arrivals: 4 }),
    });
    assert.deepEqual(
      changes(steps).map(([, d]) => d),
      [4],
      'straight to 4 and stays',
    );
  });

  it('ray#61551: a streaming deployment scales to zero after its streams end; seldon#5096: steady low traffic scales down', () => {
    // 8 long streams open at 1 min and all end at 20 min; nothing arrives while they run
    const streams = runScenario({
      policy: policy(),
      initial: { ready: 2 },
      durationMs: 35 * MIN,
      coldStartMs: 1 * MIN,
      demand: (t) => ({ load: t >= 1 * MIN && t < 20 * MIN ? 8 : 0, arrivals: t === 1 * MIN ? 8 : 0 }),
    });
    assert.ok(
      streams.filter((s) => s.at > 2 * MIN && s.at < 20 * MIN).every((s) => s.desired === 2),
      'open streams are ongoing: kept',
    );
    // N -> 0 needs a whole downscale window (10 min by default) without demand
    assert.equal(desiredAt(streams, 31 * MIN), 0, 'zero within downscale delay + a minute of the last stream ending');
    // steady low traffic: 0.5 requests in flight, one arrival every few seconds, from 4 replicas
    const low = runScenario({
      policy: policy(),
      initial: { ready: 4 },
      durationMs: 60 * MIN,
      demand: (t) => ({ load: 0.5, arrivals: t % (5 * SEC) === 0 ? 1 : 0 }),
    });
    assert.equal(desiredAt(low, 11 * MIN), 1, 'down to 1 after the downscale delay (10 min)');
    assert.ok(
      low.filter((s) => s.at > 11 * MIN).every((s) => s.desired === 1),
      'and never to zero while requests keep coming',
    );
  });

  it('ray#59076: min 0 is honoured for an LLM deployment with SLO, queue target, schedule and forecast', () => {
    const start = Date.parse('2026-03-07T12:00:00Z'); // Saturday: the weekday schedule is not in force
    const steps = runScenario({
      policy: policy({
        ttftP95Ms: '2s',
        targetQueueLength: 2,
        forecast: true,
        schedules: ['weekdays 08:00-18:00 at least 2'],
      }),
      start,
      initial: { ready: 2 },
      durationMs: 20 * MIN,
      demand: (t) => ({ load: t < start + 2 * MIN ? 6 : 0, arrivals: t < start + 2 * MIN ? 2 : 0, ttftP95Ms: 900 }),
    });
    assert.equal(desiredAt(steps, start + 14 * MIN), 0, 'load ended at 2 min: zero after the 10 min downscale window');
  });

  it('aibrix#2670: no cascading scale-up while starting replicas report no metrics', () => {
    const steps = runScenario({
      policy: policy({ maxReplicas: 32 }),
      initial: { ready: 2 },
      durationMs: 10 * MIN,
      coldStartMs: 5 * MIN,
      demand: () => ({ load: 32, arrivals: 8 }),
    });
    assert.equal(maxDesired(steps), 8, '32 requests / 4 = 8, never more');
    assert.deepEqual(changes(steps), [[1000, 8]], 'straight to 8 (within the 128/min limit), then nothing while they start');
    assert.match(steps.find((s) => s.at === 30 * SEC)!.reason, /ready 2 \+ starting 6/);
  });

  it('aibrix#617: max above GPU capacity: the policy desires only what can be placed, and recovers', () => {
    const steps = runScenario({
      policy: policy({ maxScaleUpPerMinute: 10 }),
      initial: { ready: 1 },
      durationMs: 10 * MIN,
      demand: () => ({ load: 32, arrivals: 8 }),
      placeable: (t) => (t < 5 * MIN ? 3 : 6),
    });
    assert.equal(desiredAt(steps, 4 * MIN), 3);
    assert.match(steps.find((s) => s.at === 4 * MIN)!.reason, /capped at 3 placeable/);
    assert.equal(desiredAt(steps, 5 * MIN + 1 * SEC), 6, 'more placeable: more replicas at once');
  });

  it('production-stack#1003: a request at zero wakes the deployment on the same tick', () => {
    // The retryable 503 (never a 404) while waking is the gateway's; the policy's part is to start a
    // replica at once, whatever the upscale delay.
    const p = policy({ upscaleDelayMs: '30s' });
    const r = p.decide(input({ now: 5 * MIN, heldAtZero: 1, replicas: { desired: 0 } }), p.init(0));
    assert.equal(r.desired, 1);
    assert.match(r.reason, /held 1/);
  });
});

describe('also named in the reference', () => {
  it('keda#7770: a lull with requests still coming follows the downscale window; only a deployment with no request at all goes to zero, at scale-to-zero-after', () => {
    // a trickle of one request every 30 s is a lull, not idleness: no direct N -> 0
    const trickle = runScenario({
      policy: policy({ scaleToZeroAfterMs: '1m', downscaleDelayMs: '5m' }),
      initial: { ready: 4 },
      durationMs: 15 * MIN,
      demand: (t) => ({ load: t < 2 * MIN ? 16 : t % (30 * SEC) < 2 * SEC ? 1 : 0, arrivals: t < 2 * MIN ? 4 : t % (30 * SEC) === 0 ? 1 : 0 }),
    });
    assert.ok(
      trickle.filter((s) => s.at < 5 * MIN).every((s) => s.desired >= 2),
      'the lull follows the downscale window from 4',
    );
    assert.ok(
      trickle.every((s) => s.desired >= 1),
      'never to zero while requests come',
    );
    // nothing at all after 2 min: the user's bound of 1 min idle holds from any replica count
    const steps = runScenario({
      policy: policy({ scaleToZeroAfterMs: '1m', downscaleDelayMs: '5m' }),
      initial: { ready: 4 },
      durationMs: 15 * MIN,
      demand: (t) => ({ load: t < 2 * MIN ? 16 : 0, arrivals: t < 2 * MIN ? 4 : 0 }),
    });
    assert.ok(
      steps.filter((s) => s.at < 2 * MIN + 50 * SEC).every((s) => s.desired >= 1),
      'not before 1 min idle',
    );
    assert.equal(desiredAt(steps, 3 * MIN + 5 * SEC), 0);
    assert.match(steps.find((s) => s.desired === 0)!.reason, /scale-to-zero-after 1m: scale to zero|idle 1m: scale to zero/);
  });
  it('knative/serving#15352: a long request in flight keeps its replica however long it runs', () => {
    const steps = runScenario({
      policy: policy(),
      initial: { ready: 1 },
      durationMs: 60 * MIN,
      demand: () => ({ load: 1, arrivals: 0 }),
    });
    assert.ok(steps.every((s) => s.desired === 1));
  });
});
