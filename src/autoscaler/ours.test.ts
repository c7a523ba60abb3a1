import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOurPolicy, type OurState } from './ours.js';
import { buildAutoscaleSpec } from './spec.js';
import { changes, desiredAt, input, MIN, runScenario, SEC, samples, type InputParts } from './testkit.js';
import type { AutoscaleInput } from './spec.js';
import type { DemandPoint } from './types.js';

const spec = (over: AutoscaleInput = {}) =>
  buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 8, targetOngoingRequests: 4, ...over });

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
    assert.equal(
      r.reason,
      'load 7.2 (ongoing 6, queued 1.2) / target 2 = 4 replicas; ready 2 + starting 2; desired 4',
    );
  });
  it('reacts to the latest sample at once when requests wait', () => {
    const now = 20 * SEC;
    const s = samples(0, now, (t) => ({ ongoing: 4, queued: t === now ? 12 : 0, arrivals: 1 }));
    const r = once({}, { now, samples: s, replicas: { ready: 1, desired: 1 } });
    assert.equal(r.desired, 4, '(4 + 12) / 4, where the 10 s average would say 2');
    assert.match(r.reason, /load 16 \(ongoing 4, queued 12\) \/ target 4 = 4 replicas \(latest sample: requests waiting\)/);
  });
  it('holds with no samples and nothing held', () => {
    const r = once({ minReplicas: 1 }, { now: 5000, replicas: { ready: 1, desired: 1 } });
    assert.equal(r.desired, 1);
    assert.match(r.reason, /no samples yet/);
  });
  it('clamps to max and never desires more than can be placed', () => {
    const now = 10 * SEC;
    const s = samples(0, now, () => ({ ongoing: 100 }));
    const r = once({ maxReplicas: 20, maxScaleUpPerMinute: 100 }, { now, samples: s, replicas: { ready: 4, desired: 4 }, placeableReplicas: 6 });
    assert.equal(r.desired, 6);
    assert.match(r.reason, /capped at 6 placeable/);
    const m = once({ maxReplicas: 5 }, { now, samples: s, replicas: { ready: 4, desired: 4 } });
    assert.equal(m.desired, 5);
    assert.match(m.reason, /max 5/);
  });
});

describe('our policy over time', () => {
  it('scales up at once, at most maxScaleUpPerMinute per minute, then down after the downscale delay', () => {
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1 })),
      initial: { ready: 1 },
      durationMs: 30 * MIN,
      coldStartMs: 2 * MIN,
      demand: (t) => ({ load: t > 60 * SEC && t <= 10 * MIN ? 26 : 1, arrivals: 1 }),
    });
    const c = changes(steps);
    assert.deepEqual(c.slice(0, 3), [[1000, 1], [61_000, 5], [121_000, 7]]);
    assert.match(steps.find((s) => s.at === 61_000)!.reason, /upscale to 7 held by rate limit 4\/min/);
    // load ends at 10 min: nothing lower before 15 min, back to 1 by 16 min
    assert.equal(desiredAt(steps, 15 * MIN), 7);
    assert.match(steps.find((s) => s.at === 12 * MIN)!.reason, /holding 7: 7 recommended within the last 5m/);
    assert.equal(desiredAt(steps, 16 * MIN + 10 * SEC), 1);
  });
  it('a blip inside the downscale window restarts the wait', () => {
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1 })),
      initial: { ready: 4 },
      durationMs: 20 * MIN,
      demand: (t) => ({ load: t >= 4 * MIN && t < 5 * MIN ? 16 : 4, arrivals: 1 }),
    });
    assert.equal(desiredAt(steps, 9 * MIN), 4, 'the 4-min blip keeps 4 until 10 min');
    assert.equal(desiredAt(steps, 11 * MIN), 1);
  });
  it('honours an upscale delay (but not for requests held at zero)', () => {
    const steps = runScenario({
      policy: createOurPolicy(spec({ minReplicas: 1, upscaleDelayMs: '30s' })),
      initial: { ready: 1 },
      durationMs: 2 * MIN,
      demand: (t) => ({ load: t > 10 * SEC ? 12 : 2, arrivals: 1 }),
    });
    assert.equal(desiredAt(steps, 39 * SEC), 1);
    assert.equal(desiredAt(steps, 42 * SEC), 3);
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
    const pattern = (t: number) => ((t % day) >= 9 * 3_600_000 && (t % day) < 10 * 3_600_000 ? 40 : 2);
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
