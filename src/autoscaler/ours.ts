/**
 * Our policy, asked every second. One decision, in order:
 *  1. reactive: replicas = max(load, TTFT SLO, queue terms) from total demand (ours-signals.ts);
 *     up to what the 10 s average has asked for throughout the last UP_CONFIRM_MS (a burst shorter than
 *     that is absorbed by the replicas there are: one started for it would be ready after it), or at
 *     once to what the 60 s average asks for; down to the DOWN_QUANTILE of the 60 s-average
 *     recommendations of the last downscaleDelay;
 *  2. floors: minReplicas, the schedule, the forecast of demand one cold start ahead;
 *  3. zero: only at min 0, planned from the deployment's own idle gaps (pieces/idle-gaps.ts): go to zero
 *     when the next request is expected later than keeping a replica is worth, and start one a cold
 *     start before it is due; without enough gaps, after scaleToZeroAfter without any request; never
 *     while a replica starts;
 *  4. limits: maxReplicas, replicas added per minute, what quota and GPUs can place.
 * Starting replicas are capacity (the decision is a replica count, and demand is total, not per ready
 * replica), so a cold start never triggers a second scale-up for the same demand.
 */
import { forecastPeak } from './forecast.js';
import { firstAfter } from './pieces/average.js';
import { capToPlaceable, ceilReplicas } from './pieces/clamp.js';
import { MIN_GAP_MS, planIdle, recordGap, setLastBurst, type GapSample } from './pieces/idle-gaps.js';
import { limitScaleUp, recordScaleEvent, type ScaleEvent } from './pieces/rate-limit.js';
import { isActive, scaleToZeroGate } from './pieces/scale-to-zero.js';
import { recordRun, runExtreme, runQuantile, type Recommendation } from './pieces/stabilize.js';
import { readSignals, terms } from './ours-signals.js';
import { scheduleFloor } from './schedule.js';
import type { AutoscaleSpec, PolicyInput, PolicyResult, ScalingPolicy } from './types.js';
import { formatDuration, formatRate, num } from './units.js';
import { DEMAND_BUCKET_MS } from './window.js';

/** Tuning that is not part of the spec; docs/autoscaling.md says why each value. */
export const TUNING = {
  /** a scale-up on the 10 s average needs that average to ask for it throughout this long */
  upConfirmMs: 0,
  /** a queue in the newest sample scales up at once on that sample */
  queueImmediate: true,
  /** scale-up may always go to what the 60 s average asks for */
  upOnLong: false,
  /** scale down to this quantile (by time) of the 60 s-average recommendations of the downscale window */
  downQuantile: 1,
  /** no scale-down within this long of a scale-up; undefined = the downscale delay */
  holdAfterUpMs: undefined as number | undefined,
  /** plan scale to zero from the deployment's idle gaps */
  zeroPlanner: true,
  /** scale up only when the load is above the target by more than this share (HPA's tolerance) */
  upTolerance: 0,
  /** starting replicas are cancelled as soon as demand no longer asks for them (no hold) */
  cancelStarting: false,
  /** the current 60 s-average recommendation is a floor for scale-down */
  downFloorLong: false,
};
// experiments only: OURS_TUNE='{"upConfirmMs":15000}'
if (typeof process !== 'undefined' && process.env?.OURS_TUNE) Object.assign(TUNING, JSON.parse(process.env.OURS_TUNE));

/** The plan for the current quiet spell (times in ms after the end of activity `activeAt`). */
export interface ZeroPlan {
  activeAt: number;
  /** plan again once the quiet time reaches this (the next recorded gap passes) */
  validTo: number;
  dropAt: number;
  prewarmAt: number;
  /** expected cost of the plan and of keeping the replica, ms per spell; gaps it was made from */
  cost: number;
  keepCost: number;
  candidates: number;
}

export interface OurState {
  /** raw recommendations as runs: from the short window (up) and the long window (down) */
  up: readonly Recommendation[];
  down: readonly Recommendation[];
  /** replicas added, for the per-minute limit */
  additions: ScaleEvent[];
  lastScaleUpAt: number;
  /** last arrival, request in flight, queued or held */
  lastActiveAt: number;
  /** whether any activity was seen (the first arrival ends no gap) */
  seenActivity: boolean;
  /** ready count last tick, when it last changed, and when it last rose */
  ready: number;
  readyChangedAt: number;
  readyRoseAt: number;
  /** when this state began: no scale-down before a full downscaleDelay of recommendations is seen */
  since: number;
  /** newest sample already folded into the gap history */
  lastSampleAt: number;
  /** recent idle gaps, and the burst after the newest one (arrivals counted within a cold start) */
  gaps: readonly GapSample[];
  burstFrom: number;
  burstCount: number;
  plan?: ZeroPlan;
}

export function createOurPolicy(spec: AutoscaleSpec): ScalingPolicy<OurState> {
  return {
    name: 'ours',
    tickMs: 1000,
    init: (now) => ({
      up: [], down: [], additions: [], lastScaleUpAt: -Infinity, lastActiveAt: now, seenActivity: false,
      ready: 0, readyChangedAt: now, readyRoseAt: -Infinity, since: now,
      lastSampleAt: -Infinity, gaps: [], burstFrom: -Infinity, burstCount: 0,
    }),
    decide: (input, state) => decide(spec, input, state),
  };
}

/** Folds new samples into the activity time and the idle-gap history. */
function trackActivity(state: OurState, input: PolicyInput): void {
  const { samples, now, heldAtZero, coldStartMs } = input;
  let { lastActiveAt, seenActivity, gaps, burstFrom, burstCount } = state;
  const startGap = (at: number) => {
    if (seenActivity && at - lastActiveAt >= MIN_GAP_MS) {
      gaps = recordGap(gaps, at - lastActiveAt);
      burstFrom = at;
      burstCount = 0;
    }
  };
  let newest = state.lastSampleAt;
  for (let i = firstAfter(samples, state.lastSampleAt); i < samples.length; i++) {
    const s = samples[i];
    if (s.at > now) break;
    newest = s.at;
    if (isActive(s)) {
      if (s.arrivals > 0 || s.queued > 0) startGap(s.at);
      lastActiveAt = Math.max(lastActiveAt, s.at);
      seenActivity = true;
    }
    if (s.at - burstFrom < coldStartMs) burstCount += s.arrivals;
  }
  if (heldAtZero > 0) {
    startGap(now);
    lastActiveAt = now;
    seenActivity = true;
  }
  if (burstFrom > -Infinity && gaps.length) gaps = setLastBurst(gaps, Math.max(1, burstCount));
  state.lastActiveAt = lastActiveAt;
  state.seenActivity = seenActivity;
  state.gaps = gaps;
  state.burstFrom = burstFrom;
  state.burstCount = burstCount;
  state.lastSampleAt = newest;
}

/** The zero plan for the current quiet spell, made again when the spell passes a recorded gap. */
function currentPlan(spec: AutoscaleSpec, state: OurState, input: PolicyInput): ZeroPlan | undefined {
  const idle = input.now - state.lastActiveAt;
  if (!TUNING.zeroPlanner || spec.minReplicas > 0 || idle < MIN_GAP_MS || input.heldAtZero > 0) return undefined;
  const p = state.plan;
  if (p && p.activeAt === state.lastActiveAt && idle < p.validTo) return p;
  let validTo = Infinity;
  for (const g of state.gaps) if (g.gap > idle && g.gap < validTo) validTo = g.gap;
  const plan = planIdle(state.gaps, idle, input.coldStartMs, spec.scaleToZeroAfterMs);
  state.plan = plan
    ? { activeAt: state.lastActiveAt, validTo, dropAt: plan.dropAt, prewarmAt: plan.prewarmAt, cost: plan.cost, keepCost: plan.keepCost, candidates: plan.candidates }
    : { activeAt: state.lastActiveAt, validTo, dropAt: Infinity, prewarmAt: Infinity, cost: NaN, keepCost: NaN, candidates: 0 };
  return state.plan;
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
  trackActivity(state, input);
  const notes: Array<() => string> = [];

  // 1. reactive
  const sig = readSignals(input, state.readyChangedAt, spec.ttftP95Ms !== undefined);
  const upSpec = TUNING.upTolerance > 0 ? { ...spec, targetOngoingRequests: spec.targetOngoingRequests * (1 + TUNING.upTolerance) } : spec;
  let upT = terms(upSpec, sig.short, sig.ttftP95Ms, ready);
  const immediate = TUNING.queueImmediate && sig.latest !== undefined && sig.latest.load > sig.short.load + 1e-9;
  if (immediate && sig.latest) upT = terms(upSpec, sig.latest, sig.ttftP95Ms, ready);
  const downT = terms(spec, sig.long, sig.ttftP95Ms, ready);
  const confirmMs = immediate ? spec.upscaleDelayMs : Math.max(spec.upscaleDelayMs, TUNING.upConfirmMs);
  const keep = Math.max(spec.upscaleDelayMs, TUNING.upConfirmMs, spec.downscaleDelayMs) + 1;
  state.up = recordRun(prev.up, now, upT.replicas, keep);
  state.down = recordRun(prev.down, now, downT.replicas, keep);
  const sustained = runExtreme(state.up, now, confirmMs, 'min', upT.replicas);
  let upTarget = sustained;
  if (TUNING.upOnLong && spec.upscaleDelayMs === 0) upTarget = Math.max(upTarget, downT.replicas);
  let reactive = current;
  if (!sig.hasSamples && input.heldAtZero <= 0) {
    notes.push(() => 'no samples yet');
  } else if (upTarget > current) {
    reactive = upTarget;
  } else {
    let downTarget = Math.max(runQuantile(state.down, now, spec.downscaleDelayMs, TUNING.downQuantile, downT.replicas), sustained);
    if (TUNING.downFloorLong) downTarget = Math.max(downTarget, downT.replicas);
    const holdMs = TUNING.holdAfterUpMs ?? spec.downscaleDelayMs;
    // replicas still starting that demand no longer asks for: cancel them now (nothing to hold)
    const asked = Math.max(downTarget, downT.replicas, runExtreme(state.up, now, confirmMs, 'max', upT.replicas));
    const cancelTo = TUNING.cancelStarting ? Math.max(asked, ready) : current;
    if (downTarget < current) {
      if (now - prev.lastScaleUpAt < holdMs) {
        const ago = now - prev.lastScaleUpAt;
        if (cancelTo < current) {
          reactive = cancelTo;
          notes.push(() => `${current - cancelTo} starting no longer asked for: cancelled`);
        } else notes.push(() => `scale-down to ${downTarget} held: scaled up ${formatDuration(ago)} ago`);
      } else if (now - prev.since < spec.downscaleDelayMs) {
        notes.push(() => `scale-down to ${downTarget} held: ${formatDuration(spec.downscaleDelayMs)} of history needed`);
      } else reactive = downTarget;
    } else if (upT.replicas < current && downTarget >= current) {
      const d = downTarget;
      notes.push(() => `holding ${current}: ${d} recommended within the last ${formatDuration(spec.downscaleDelayMs)}`);
    }
  }
  if (input.heldAtZero > 0 && reactive < 1) reactive = 1;

  // 2. floors
  let candidate = reactive;
  const floors: number[] = [spec.minReplicas];
  if (spec.minReplicas > 0) notes.push(() => `min ${spec.minReplicas}`);
  const sched = scheduleFloor(spec.schedules, now, spec.timeZone);
  if (sched.rule) {
    floors.push(sched.floor);
    const text = sched.rule.text;
    notes.push(() => `schedule "${text}" at least ${sched.floor}`);
  }
  let forecastFloor = 0;
  if (spec.forecast && input.history.length) {
    const horizon = Math.max(0, input.coldStartMs) + DEMAND_BUCKET_MS;
    const peak = forecastPeak(input.history, now, now + horizon, { timeZone: spec.timeZone, now });
    if (peak) {
      forecastFloor = ceilReplicas(peak.concurrency / spec.targetOngoingRequests);
      const f = forecastFloor;
      notes.push(() => `forecast ${num(peak.concurrency)} within ${formatDuration(horizon)} = ${f}`);
    }
  }
  const hardFloor = Math.max(...floors);
  candidate = Math.max(candidate, hardFloor, forecastFloor);

  // 3. zero: the 1 -> 0 step is gated by idleness alone; N -> 0 also needs the downscale window (keda#7770)
  const idleMs = Math.max(0, now - state.lastActiveAt);
  const plan = hardFloor === 0 && forecastFloor === 0 && upT.replicas === 0 ? currentPlan(spec, state, input) : undefined;
  const planned = plan !== undefined && plan.candidates > 0;
  const wantsZero = candidate === 0 || (candidate === 1 && current <= 1 && upT.replicas === 0 && hardFloor === 0 && forecastFloor === 0);
  if (wantsZero && current > 0) {
    if (planned && plan) {
      const gate = scaleToZeroGate({
        now, idleSince: now, idleAfterMs: 0, minReplicas: spec.minReplicas, starting: replicas.starting, heldAtZero: input.heldAtZero,
      });
      const due = idleMs >= plan.dropAt && idleMs < plan.prewarmAt;
      if (due && gate.allowed) {
        candidate = 0;
        notes.push(() => `idle ${formatDuration(idleMs)}: ${planText(plan, input.coldStartMs)}: scale to zero`);
      } else {
        candidate = Math.max(candidate, 1);
        if (!gate.allowed) notes.push(() => `not to zero: ${gate.reason}`);
        else notes.push(() => `idle ${formatDuration(idleMs)}: ${planText(plan, input.coldStartMs)}: keep`);
      }
    } else {
      const idleSince = Math.max(state.lastActiveAt, state.readyRoseAt);
      const gate = scaleToZeroGate({
        now, idleSince, idleAfterMs: spec.scaleToZeroAfterMs, minReplicas: spec.minReplicas,
        starting: replicas.starting, heldAtZero: input.heldAtZero,
      });
      if (gate.allowed) {
        candidate = 0;
        notes.push(() => `idle ${formatDuration(gate.idleMs)}: scale to zero`);
      } else {
        candidate = Math.max(candidate, 1);
        if (gate.reason === 'not idle long enough') {
          notes.push(() => `idle ${formatDuration(gate.idleMs)} of ${formatDuration(spec.scaleToZeroAfterMs)} before zero`);
        } else notes.push(() => `not to zero: ${gate.reason}`);
      }
    }
  }
  let prewarm = false;
  if (current === 0 && candidate === 0 && planned && plan && idleMs >= plan.prewarmAt) {
    candidate = 1;
    prewarm = true;
    notes.push(() => `idle ${formatDuration(idleMs)}: ${planText(plan, input.coldStartMs)}: pre-warm`);
  }

  // 4. limits
  if (candidate > spec.maxReplicas) {
    candidate = spec.maxReplicas;
    notes.push(() => `max ${spec.maxReplicas}`);
  }
  let desired = candidate;
  if (candidate > current) {
    const lim = limitScaleUp(current, candidate, prev.additions, now, spec.maxScaleUpPerMinute);
    const exempt = Math.min(candidate, Math.max(hardFloor, input.heldAtZero > 0 || prewarm ? 1 : 0));
    desired = Math.max(lim.desired, exempt);
    if (desired < candidate) notes.push(() => `upscale to ${candidate} held by rate limit ${formatRate(spec.maxScaleUpPerMinute)}`);
  }
  const placed = capToPlaceable(desired, input.placeableReplicas);
  if (placed.capped) {
    desired = placed.desired;
    const d = desired;
    notes.push(() => `capped at ${d} placeable (quota and GPU inventory)`);
  }
  if (desired > current) {
    state.additions = recordScaleEvent(prev.additions, now, desired - current, 60_000);
    state.lastScaleUpAt = now;
  } else if (prev.additions.length && prev.additions[0].at <= now - 60_000) {
    state.additions = prev.additions.filter((e) => e.at > now - 60_000);
  }

  const showDown = reactive < current && downT.replicas !== upT.replicas;
  let text: string | undefined;
  const reason = (): string => {
    if (text !== undefined) return text;
    const head = immediate ? `${upT.text()} (latest sample: requests waiting)` : upT.text();
    const down = showDown ? `; 60s ${downT.text()}` : '';
    const capacity = `ready ${ready} + starting ${replicas.starting}`;
    text = [head + down, capacity, ...notes.map((n) => n())].join('; ') + `; desired ${desired}`;
    return text;
  };
  return {
    desired,
    get reason() {
      return reason();
    },
    state,
  };
}

function planText(p: ZeroPlan, coldStartMs: number): string {
  const keep = `keeping costs ~${formatDuration(p.keepCost)} per quiet spell`;
  if (p.dropAt === Infinity) return `${p.candidates} past gaps this long, ${keep}, cheapest`;
  const back = p.prewarmAt === Infinity ? 'back on the next request'
    : `back at ${formatDuration(p.prewarmAt)} (the next request is due from ${formatDuration(p.prewarmAt + coldStartMs)})`;
  return `${p.candidates} past gaps this long: zero at ${formatDuration(p.dropAt)}, ${back}: ~${formatDuration(p.cost)} vs ${keep}`;
}
