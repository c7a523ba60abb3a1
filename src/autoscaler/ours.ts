/**
 * Our policy, asked every second. One decision, in order:
 *  1. reactive: replicas = max(load, TTFT SLO, queue terms) from total demand (ours-signals.ts);
 *     up on the 10 s average (at once when requests wait), down on the highest 60 s-average
 *     recommendation of the last downscaleDelay and never within downscaleDelay of a scale-up;
 *  2. floors: minReplicas, the schedule, the forecast of demand one cold start ahead;
 *  3. zero: only at min 0, after scaleToZeroAfter without any request, never while a replica starts;
 *  4. limits: maxReplicas, replicas added per minute, what quota and GPUs can place.
 * Starting replicas are capacity (the decision is a replica count, and demand is total, not per ready
 * replica), so a cold start never triggers a second scale-up for the same demand.
 */
import { forecastPeak } from './forecast.js';
import { capToPlaceable, ceilReplicas } from './pieces/clamp.js';
import { limitScaleUp, recordScaleEvent, type ScaleEvent } from './pieces/rate-limit.js';
import { lastActivityAt, scaleToZeroGate } from './pieces/scale-to-zero.js';
import { recordRun, runExtreme, type Recommendation } from './pieces/stabilize.js';
import { readSignals, terms } from './ours-signals.js';
import { scheduleFloor } from './schedule.js';
import type { AutoscaleSpec, PolicyInput, PolicyResult, ScalingPolicy } from './types.js';
import { formatDuration, formatRate, num } from './units.js';
import { DEMAND_BUCKET_MS } from './window.js';

export interface OurState {
  /** raw recommendations as runs: from the short window (up) and the long window (down) */
  up: readonly Recommendation[];
  down: readonly Recommendation[];
  /** replicas added, for the per-minute limit */
  additions: ScaleEvent[];
  lastScaleUpAt: number;
  /** last arrival, request in flight, queued or held */
  lastActiveAt: number;
  /** ready count last tick, when it last changed, and when it last rose */
  ready: number;
  readyChangedAt: number;
  readyRoseAt: number;
  /** when this state began: no scale-down before a full downscaleDelay of recommendations is seen */
  since: number;
}

export function createOurPolicy(spec: AutoscaleSpec): ScalingPolicy<OurState> {
  return {
    name: 'ours',
    tickMs: 1000,
    init: (now) => ({
      up: [], down: [], additions: [], lastScaleUpAt: -Infinity, lastActiveAt: now,
      ready: 0, readyChangedAt: now, readyRoseAt: -Infinity, since: now,
    }),
    decide: (input, state) => decide(spec, input, state),
  };
}

function decide(spec: AutoscaleSpec, input: PolicyInput, prev: OurState): PolicyResult<OurState> {
  const { now, replicas } = input;
  const current = replicas.desired;
  const ready = replicas.ready;
  const state: OurState = { ...prev };
  if (ready !== prev.ready) {
    state.ready = ready;
    state.readyChangedAt = now;
    if (ready > prev.ready) state.readyRoseAt = now;
  }
  state.lastActiveAt = lastActivityAt(input.samples, now, prev.lastActiveAt, input.heldAtZero);
  const notes: string[] = [];

  // 1. reactive
  const sig = readSignals(input, state.readyChangedAt);
  const upT = terms(spec, sig.short, sig.ttftP95Ms, ready);
  const downT = terms(spec, sig.long, sig.ttftP95Ms, ready);
  const keep = Math.max(spec.upscaleDelayMs, spec.downscaleDelayMs) + 1;
  state.up = recordRun(prev.up, now, upT.replicas, keep);
  state.down = recordRun(prev.down, now, downT.replicas, keep);
  const upTarget = runExtreme(state.up, now, spec.upscaleDelayMs, 'min', upT.replicas);
  let reactive = current;
  if (!sig.hasSamples && input.heldAtZero <= 0) {
    notes.push('no samples yet');
  } else if (upTarget > current) {
    reactive = upTarget;
  } else {
    const downTarget = Math.max(runExtreme(state.down, now, spec.downscaleDelayMs, 'max', downT.replicas), upT.replicas);
    if (downTarget < current) {
      if (now - prev.lastScaleUpAt < spec.downscaleDelayMs) {
        notes.push(`scale-down to ${downTarget} held: scaled up ${formatDuration(now - prev.lastScaleUpAt)} ago`);
      } else if (now - prev.since < spec.downscaleDelayMs) {
        notes.push(`scale-down to ${downTarget} held: ${formatDuration(spec.downscaleDelayMs)} of history needed`);
      } else reactive = downTarget;
    } else if (upT.replicas < current && downTarget >= current) {
      notes.push(`holding ${current}: ${downTarget} recommended within the last ${formatDuration(spec.downscaleDelayMs)}`);
    }
  }
  if (input.heldAtZero > 0 && reactive < 1) reactive = 1;

  // 2. floors
  let candidate = reactive;
  const floors: number[] = [spec.minReplicas];
  if (spec.minReplicas > 0) notes.push(`min ${spec.minReplicas}`);
  const sched = scheduleFloor(spec.schedules, now, spec.timeZone);
  if (sched.rule) {
    floors.push(sched.floor);
    notes.push(`schedule "${sched.rule.text}" at least ${sched.floor}`);
  }
  let forecastFloor = 0;
  if (spec.forecast && input.history.length) {
    const horizon = Math.max(0, input.coldStartMs) + DEMAND_BUCKET_MS;
    const peak = forecastPeak(input.history, now, now + horizon, { timeZone: spec.timeZone, now });
    if (peak) {
      forecastFloor = ceilReplicas(peak.concurrency / spec.targetOngoingRequests);
      notes.push(`forecast ${num(peak.concurrency)} within ${formatDuration(horizon)} = ${forecastFloor}`);
    }
  }
  const hardFloor = Math.max(...floors);
  candidate = Math.max(candidate, hardFloor, forecastFloor);

  // 3. zero: the 1 -> 0 step is gated by idleness alone; N -> 0 also needs the downscale window (keda#7770)
  const idleSince = Math.max(state.lastActiveAt, state.readyRoseAt);
  const wantsZero = candidate === 0 || (candidate === 1 && current <= 1 && upT.replicas === 0 && hardFloor === 0 && forecastFloor === 0);
  if (wantsZero && current > 0) {
    const gate = scaleToZeroGate({
      now, idleSince, idleAfterMs: spec.scaleToZeroAfterMs, minReplicas: spec.minReplicas,
      starting: replicas.starting, heldAtZero: input.heldAtZero,
    });
    if (gate.allowed) {
      candidate = 0;
      notes.push(`idle ${formatDuration(gate.idleMs)}: scale to zero`);
    } else {
      candidate = Math.max(candidate, 1);
      if (gate.reason === 'not idle long enough') {
        notes.push(`idle ${formatDuration(gate.idleMs)} of ${formatDuration(spec.scaleToZeroAfterMs)} before zero`);
      } else notes.push(`not to zero: ${gate.reason}`);
    }
  }

  // 4. limits
  if (candidate > spec.maxReplicas) {
    candidate = spec.maxReplicas;
    notes.push(`max ${spec.maxReplicas}`);
  }
  let desired = candidate;
  if (candidate > current) {
    const lim = limitScaleUp(current, candidate, prev.additions, now, spec.maxScaleUpPerMinute);
    const exempt = Math.min(candidate, Math.max(hardFloor, input.heldAtZero > 0 ? 1 : 0));
    desired = Math.max(lim.desired, exempt);
    if (desired < candidate) notes.push(`upscale to ${candidate} held by rate limit ${formatRate(spec.maxScaleUpPerMinute)}`);
  }
  const placed = capToPlaceable(desired, input.placeableReplicas);
  if (placed.capped) {
    desired = placed.desired;
    notes.push(`capped at ${desired} placeable (quota and GPU inventory)`);
  }
  if (desired > current) {
    state.additions = recordScaleEvent(prev.additions, now, desired - current, 60_000);
    state.lastScaleUpAt = now;
  } else state.additions = prev.additions.filter((e) => e.at > now - 60_000);

  const head = sig.immediate ? `${upT.text} (latest sample: requests waiting)` : upT.text;
  const down = reactive < current && downT.replicas !== upT.replicas ? `; 60s ${downT.text}` : '';
  const capacity = `ready ${ready} + starting ${replicas.starting}`;
  const reason = [head + down, capacity, ...notes].join('; ') + `; desired ${desired}`;
  return { desired, reason, state };
}
