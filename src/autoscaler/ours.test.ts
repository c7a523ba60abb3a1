import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TUNING, createOurPolicy, type OurState } from './ours.js';
import { buildAutoscaleSpec } from './spec.js';
import { changes, desiredAt, input, MIN, runScenario, SEC, samples, type InputParts } from './testkit.js';
import type { AutoscaleInput } from './spec.js';
import type { DemandPoint } from './types.js';

const spec = (over: AutoscaleInput = {}) => buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 8, targetOngoingRequests: 4, ...over });

function once(over: AutoscaleInput, p: InputParts, state?: OurState) {
  const policy = createOurPolicy(spec(over));
  return policy.decide(input(p), state ?? policy.init(0));
}

describe('our policy: one decision', () => {
  it('says the numbers behind the decision', () => {
    const now = 20 * SEC;
    const s = samples(0, now, () => ({ ongoing: 6, queued: 1.2, arrivals: 1 }));
    const r = once({ targetOngoingRequests: 2 }, { now, samples: s, replicas: { ready: 2, starting: 2, desired: 4 } });
    assert.equal(r.desired, 4);
    assert.equal(r.reason, 'load 7.2 (ongoing 6, queued 1.2) / target 2 = 4 replicas; ready 2 + starting 2; desired 4');
  });
  it('a rise shorter than the confirmation starts nothing; a sustained one does; a surge starts at once', () => {
    // 60 s cold start: the confirmation is TUNING.upConfirmShare of it (3 s); 8 requests on one replica at a
    // target of 4 ask for a second (not a surge: that needs 2x and two more)
    const run = (load: (t: number) => number) =>
      runScenario({
        policy: createOurPolicy(spec({ minReplicas: 1 })),
        initial: { ready: 1 },
        durationMs: 3 * MIN,
        coldStartMs: MIN,
        demand: (t) => ({ load: load(t), arrivals: 1 }),
      });
    // a 2 s blip to 10 keeps the 10 s average (3.6) under the target's tolerance: absorbed
    assert.deepEqual(changes(run((t) => (t > 60 * SEC && t <= 62 * SEC ? 10 : 2))), [[1000, 1]], 'a 2 s blip is absorbed');
    const lasting = run((t) => (t > 60 * SEC ? 8 : 2));
    const up = changes(lasting).find(([, d]) => d > 1)!;
    assert.ok(
      up[0] > 60 * SEC && up[0] <= 60 * SEC + 10 * SEC + TUNING.upConfirmShare * MIN + SEC,
      `up once the 10 s average asks for it, confirmed (${up[0]})`,
    );
    assert.equal(up[1], 2);
    assert.match(lasting.find((x) => x.at === up[0])!.reason, /load [0-9.]+ \(ongoing [0-9.]+, queued [1-9][0-9.]*\) \/ target 4 = 2 replicas/);
    // a surge to 6x: followed as soon as the 10 s average asks for 3 or more, no confirmation
    const surge = run((t) => (t > 60 * SEC ? 24 : 2));
    const s1 = changes(surge).find(([, d]) => d > 1)!;
    const short = surge.filter((x) => x.at > 60 * SEC && x.at < s1[0]);
    assert.ok(short.every((x) => x.desired === 1));
    assert.ok(s1[1] >= 3, `straight to ${s1[1]}`);
    assert.match(surge.find((x) => x.at === s1[0])!.reason, /surge to \d+ from 1: at once/);
  });
  it('cancels replicas still starting once neither window asks for them', () => {
    // demand for 50 s after 10 quiet minutes, then back: the replicas started for it (cold start 3 min) are
    // cancelled before they are ready
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1 })),
      initial: { ready: 1 },
      durationMs: 14 * MIN,
      coldStartMs: 3 * MIN,
      demand: (t) => ({ load: t > 10 * MIN && t <= 10 * MIN + 50 * SEC ? 16 : 1, arrivals: 1 }),
    });
    const c = changes(steps);
    assert.ok(c.length >= 3 && c[1][1] > 1, `scaled up (${JSON.stringify(c)})`);
    assert.equal(c[c.length - 1][1], 1);
    const cancel = steps.find((x) => x.at === c[c.length - 1][0])!;
    assert.equal(cancel.ready, 1);
    assert.match(cancel.reason, /starting no longer asked for: cancelled/);
  });
  it('repeated queueing at a replica count asks for one more', () => {
    // the average (3 requests) fits one replica, but 2 s bursts of 6 (shorter than the confirmation) queue every 2 minutes
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1 })),
      initial: { ready: 1 },
      durationMs: 8 * MIN,
      coldStartMs: MIN,
      demand: (t) => ({ load: t % (2 * MIN) >= 30 * SEC && t % (2 * MIN) < 32 * SEC ? 6 : 3, arrivals: 1 }),
    });
    assert.deepEqual(
      changes(steps),
      [
        [1000, 1],
        [270_000, 2],
      ],
      'one more at the third queueing (one or two are bursts)',
    );
    assert.match(steps.find((x) => x.at === 270_000)!.reason, /requests queued at 1 replicas 3 times within 10m: 2/);
  });
});

describe('our policy over time', () => {
  it('scales up on a surge at once, at most maxScaleUpPerMinute per minute, then down after the downscale window', () => {
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1, maxScaleUpPerMinute: 4, downscaleDelayMs: '5m' })),
      initial: { ready: 1 },
      durationMs: 30 * MIN,
      coldStartMs: 2 * MIN,
      demand: (t) => ({ load: t > 60 * SEC && t <= 10 * MIN ? 26 : 1, arrivals: 1 }),
    });
    const c = changes(steps);
    // 26 requests: 6 replicas at 10% above the target of 4 (26.4); a surge (3 or more replicas asked for
    // from 1) as soon as the 10 s average gets there, without the confirmation
    const first = c.find(([, d]) => d > 1)!;
    assert.ok(first[0] > 60 * SEC && first[0] <= 70 * SEC, `first at ${first[0]}`);
    assert.equal(desiredAt(steps, first[0] + 30 * SEC), 5, 'four added within the first minute');
    assert.match(steps.find((x) => x.at === first[0] + 30 * SEC)!.reason, /upscale to 6 held by rate limit 4\/min/);
    assert.equal(desiredAt(steps, first[0] + 70 * SEC), 6);
    // load ends at 10 min: nothing lower before 80% of the 5 min window has passed, back to 1 by 16 min
    assert.equal(desiredAt(steps, 13 * MIN), 6);
    // (p80 of the window asks for 8: 26 requests held at 10% under the target of 4, the consolidation margin)
    assert.match(steps.find((x) => x.at === 12 * MIN)!.reason, /holding 6: 8 asked for \(p80 over 5m/);
    assert.equal(desiredAt(steps, 16 * MIN), 1);
  });
  it('a short blip holds replicas for less than the downscale window; a longer rise for most of it', () => {
    const run = (blipMs: number) =>
      runScenario({
        policy: createOurPolicy(spec({ minReplicas: 1, downscaleDelayMs: '5m' })),
        initial: { ready: 4 },
        durationMs: 20 * MIN,
        // 3 in flight fits 1 replica within the consolidation margin (4 would be exactly at the target: held at 2)
        demand: (t) => ({ load: t >= 4 * MIN && t < 4 * MIN + blipMs ? 16 : 3, arrivals: 1 }),
      });
    assert.equal(desiredAt(run(30 * SEC), 9 * MIN + 40 * SEC), 1, 'the 30 s blip is outvoted');
    const long = run(2 * MIN);
    assert.equal(desiredAt(long, 10 * MIN), 4, 'a 2 min rise keeps 4 until 80% of the window is lower');
    assert.equal(desiredAt(long, 11 * MIN + 10 * SEC), 1);
  });
  it('honours an upscale delay (but not for requests held at zero)', () => {
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1, upscaleDelayMs: '30s' })),
      initial: { ready: 1 },
      durationMs: 2 * MIN,
      coldStartMs: MIN,
      demand: (t) => ({ load: t > 10 * SEC ? 12 : 2, arrivals: 1 }),
    });
    // the 10 s average reaches 12 at 20 s; 3 replicas asked for throughout 30 s from then
    assert.equal(desiredAt(steps, 39 * SEC), 1);
    assert.equal(desiredAt(steps, 51 * SEC), 3);
    const p = createOurPolicy(spec({ upscaleDelayMs: '30s' }));
    assert.equal(p.decide(input({ now: 5 * MIN, heldAtZero: 1, replicas: { desired: 0 } }), p.init(0)).desired, 1);
  });
  it('a 5 minute dip is held through (a scale-down would miss the return); a longer lull is not', () => {
    const run = (dipMs: number) =>
      runScenario({
        policy: createOurPolicy(spec({ minReplicas: 1, maxReplicas: 16 })),
        initial: { ready: 10 },
        durationMs: 40 * MIN,
        coldStartMs: MIN,
        demand: (t) => ({ load: t >= 15 * MIN && t < 15 * MIN + dipMs ? 10 : 40, arrivals: 10 }),
      });
    const dip = run(5 * MIN);
    assert.ok(
      dip.filter((x) => x.at > 15 * MIN).every((x) => x.desired === 10),
      'kept 10 through the dip',
    );
    const lull = run(15 * MIN);
    assert.equal(desiredAt(lull, 29 * MIN), 3, 'a 15 min lull goes down to its own level');
  });
  it('a call every 10 minutes: after three gaps, zero between calls and a replica pre-warmed for each', () => {
    const steps = runScenario({
      policy: createOurPolicy(spec()),
      initial: { ready: 1 },
      durationMs: 80 * MIN,
      coldStartMs: MIN,
      demand: (t) => {
        const m = t % (10 * MIN);
        return { load: m >= 5 * SEC && m < 8 * SEC ? 1 : 0, arrivals: m === 5 * SEC ? 1 : 0 };
      },
    });
    const readyAtCall = (k: number) => steps.find((x) => x.at === k * 10 * MIN + 5 * SEC)!.ready;
    assert.equal(readyAtCall(1), 0, 'before the gaps are known: met at zero (the 5 min timer)');
    for (let k = 4; k < 8; k++) assert.equal(readyAtCall(k), 1, `call ${k} finds a replica`);
    // between calls: zero for most of the gap
    const between = steps.filter((x) => x.at > 60 * MIN && x.at < 68 * MIN);
    assert.ok(between.filter((x) => x.desired === 0).length > between.length * 0.7);
    const warm = steps.find((x) => x.at > 60 * MIN && /pre-warm/.test(x.reason))!;
    assert.match(warm.reason, /past gaps this long: zero at 10s, back at 8m58s/);
  });
  it('applies schedule floors in the spec time zone, exempt from the rate limit', () => {
    const start = Date.parse('2026-03-04T06:55:00Z'); // Wednesday 07:55 in Zurich
    const steps = runScenario({
      policy: createOurPolicy(spec({ schedules: ['weekdays 08:00-08:10 at least 6'], timeZone: 'Europe/Zurich' })),
      start,
      initial: { ready: 1 },
      durationMs: 30 * MIN,
      demand: () => ({ load: 1, arrivals: 1 }),
    });
    assert.equal(desiredAt(steps, start + 4 * MIN), 1);
    assert.equal(desiredAt(steps, start + 5 * MIN), 6, 'all six at 08:00 sharp');
    assert.match(steps.find((s) => s.at === start + 6 * MIN)!.reason, /schedule "weekdays 08:00-08:10 at least 6" at least 6/);
    assert.equal(desiredAt(steps, start + 16 * MIN), 1, 'back to the load after the window');
  });
  it('pre-warms from the forecast one cold start ahead', () => {
    // eight days of history: 40 concurrent requests 09:00-10:00 UTC, 2 otherwise
    const day = 86_400_000;
    const first = Date.parse('2026-03-02T00:00:00Z');
    const today = first + 8 * day;
    const pattern = (t: number) => (t % day >= 9 * 3_600_000 && t % day < 10 * 3_600_000 ? 40 : 2);
    const history: DemandPoint[] = [];
    for (let t = first; t < today + 8 * 3_600_000; t += 5 * MIN) history.push({ at: t, concurrency: pattern(t), rate: 1 });
    const start = today + 8 * 3_600_000 + 30 * MIN; // 08:30
    const steps = runScenario({
      policy: createOurPolicy(spec({ maxReplicas: 12, forecast: true })),
      start,
      initial: { ready: 1 },
      durationMs: 40 * MIN,
      coldStartMs: 10 * MIN,
      history,
      demand: (t) => ({ load: pattern(t), arrivals: 1 }),
    });
    const firstUp = changes(steps).find(([, d]) => d > 1)!;
    assert.equal(firstUp[0], today + 8 * 3_600_000 + 45 * MIN, 'rises at 08:45: a 10 min cold start + a 5 min bucket ahead');
    assert.match(steps.find((s) => s.at === firstUp[0])!.reason, /forecast 40 within 15m = 10/);
    const at9 = steps.find((s) => s.at === today + 9 * 3_600_000)!;
    assert.equal(at9.ready, 10, 'ten replicas ready when the peak arrives');
  });
});
