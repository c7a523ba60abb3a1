/**
 * Our policy, asked every second. One decision, in order:
 *  0. learn: fold the new samples into the capacity model of a replica (pieces/capacity.ts: ITL against
 *     batch, prefill against prompt tokens, slot time) and the idle-gap history;
 *  1. reactive, from total demand (ours-signals.ts: load = ongoing + queued, requests held at zero counted
 *     as the slots they need once the slot time is known; the TTFT term scales on the wait for a slot only,
 *     never on prefill, and never above 2x the load term; the queue term):
 *     - up to what the 10 s average asks for at 10% above the target (HPA's tolerance) throughout the
 *       last 5% of a cold start; a surge (2x and two more) at once; requests held at zero at once;
 *     - one more than a replica count at which requests queued in three separate episodes within the
 *       downscale window (bursty load that the target leaves too little headroom for);
 *     - down (consolidation) to the 80th percentile (by time) of the 60 s-average recommendations over the
 *       downscale window, each sized 10% under the target plus one standard deviation of the load (capped),
 *       never below the sustained and queueing terms, and not within a cold start of a scale-up; replicas
 *       still starting are cancelled once neither window asks for them, never while a request waits;
 *  2. floors: minReplicas, the schedule, the forecast of demand one cold start ahead;
 *  3. zero: only at min 0; never later than scaleToZeroAfter without any request (from any count, unless a
 *     floor holds); earlier or with a pre-warm as planned from the deployment's own idle gaps
 *     (pieces/idle-gaps.ts); never while a replica starts;
 *  4. limits: maxReplicas, replicas added per minute, what quota and GPUs can place.
 * Starting replicas are capacity (the decision is a replica count, and demand is total, not per ready
 * replica), so a cold start never triggers a second scale-up for the same demand.
 *
 * Cost: a decision is O(1) amortised: windows are single passes over the last minute of samples, the
 * stabilization windows are kept as runs of equal recommendations (pieces/stabilize.ts), the idle plan is
 * made again only when the quiet spell passes a recorded gap, and the reason text is built on demand.
 */
import { forecastPeak } from './forecast.js';
import { firstAfter } from './pieces/average.js';
import { capToPlaceable, ceilReplicas } from './pieces/clamp.js';
import { MIN_GAP_MS, planIdle, recordGap, setLastBurst, type GapSample } from './pieces/idle-gaps.js';
import { idleTerms, wayBack, type IdleTerms } from './tiers.js';
import { limitScaleUp, recordScaleEvent, type ScaleEvent } from './pieces/rate-limit.js';
import { isActive, scaleToZeroGate } from './pieces/scale-to-zero.js';
import { recordRun, runExtreme, runQuantile, type Recommendation } from './pieces/stabilize.js';
import { initCapacity, observe, summarize, type CapacityModel } from './pieces/capacity.js';
import { demand, readSignals, terms, type SloCase, type SloInputs } from './ours-signals.js';
import { scheduleFloor } from './schedule.js';
import type { AutoscaleSpec, PolicyInput, PolicyResult, ScalingPolicy, PolicyEntry } from './types.js';
import { formatDuration, formatRate, num } from './units.js';
import { DEMAND_BUCKET_MS } from './window.js';

/** Tuning that is not part of the spec; docs/autoscaling.md says why each value. */
export const TUNING = Object.freeze({
  /**
   * a scale-up on the 10 s average needs that average to ask for it throughout this share of a cold start
   * (3 s of 60 s): chosen on the corpus, where 0.2 lost up to 1.1 points of attainment to Knative on bursty
   * clients for under 1% fewer GPU-hours (docs/autoscaling.md)
   */
  upConfirmShare: 0.05,
  /** the 10 s average asks for a scale-up only above the target by this share (HPA's tolerance) */
  upTolerance: 0.1,
  /** scale down to this quantile (by time) of the 60 s-average recommendations of the downscale window */
  downQuantile: 0.8,
  /** queue episodes within the downscale window at a replica count that ask for one more (0: off) */
  queueEpisodes: 3,
  /** plan scale to zero from the deployment's idle gaps (false: the plain idle timer) */
  zeroPlanner: true,
  /** a plan to keep is made again at most this often, or a quarter of the quiet time so far if longer */
  replanMs: 10_000,
  /**
   * consolidation: scale down only to a count that holds the load at this share below the target
   * (N -> N-1 only if the load fits N-1 with a margin; ai-dynamo/dynamo#9294), the mirror of upTolerance
   */
  downMargin: 0.1,
  /** demand at this multiple of the current replicas scales up at once (0: off) */
  surgeFactor: 2,
  /**
   * headroom for the demand's variability over the next cold start (newsvendor): scale-down keeps this many
   * standard deviations of the last minute's per-second load above the load term, at most `headroomCap` of
   * its mean (a burst's spread is met by the surge rule, not held). z = 1 (about the 84th percentile of a
   * normal demand) took the quick corpus from 6 to 10 wins of 28; uncapped, or on the scale-up side too, it
   * lost the sparse bursty clients on cost, and a step in demand read as variability
   */
  headroomZ: 1,
  headroomCap: 0.25,
});

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
  /** whether the newest sample had requests waiting, and when queueing began (with the ready count then) */
  queuing: boolean;
  queueStarts: readonly QueueStart[];
  /** the learned capacity model of one replica (pieces/capacity.ts) */
  capacity: CapacityModel;
  /** the SLO term's case at the last decision (a change to 'prefill' is worth an event) */
  sloCase: SloCase;
  /** the quiet spell (its lastActiveAt) in which a replica was pre-warmed */
  prewarmedSpell: number;
  /** a pre-warm planned when the zero bound dropped a replica the plan would have kept: spell and time */
  boundPrewarmAt?: { spell: number; at: number };
}

export interface QueueStart {
  at: number;
  ready: number;
}

export function createOurPolicy(spec: AutoscaleSpec): ScalingPolicy<OurState> {
  const tolTarget = spec.targetOngoingRequests * (1 + TUNING.upTolerance);
  return {
    name: 'ours',
    tickMs: 1000,
    init: (now) => ({
      up: [],
      down: [],
      additions: [],
      lastScaleUpAt: -Infinity,
      lastActiveAt: now,
      seenActivity: false,
      ready: 0,
      readyChangedAt: now,
      readyRoseAt: -Infinity,
      since: now,
      lastSampleAt: -Infinity,
      gaps: [],
      burstFrom: -Infinity,
      burstCount: 0,
      queuing: false,
      queueStarts: [],
      capacity: initCapacity(),
      sloCase: 'none',
      prewarmedSpell: -Infinity,
    }),
    decide: (input, state) => decide(spec, tolTarget, input, state),
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
  let queuing = state.queuing;
  let queueStarts = state.queueStarts;
  let capacity = state.capacity;
  const ready = input.replicas.ready;
  for (let i = firstAfter(samples, state.lastSampleAt); i < samples.length; i++) {
    const s = samples[i];
    if (s.at > now) break;
    newest = s.at;
    // (a live sample's ongoing is taken at its end: a request that finished in the interval ran in a batch of 1 at least)
    if (ready > 0)
      capacity = observe(capacity, {
        batch: (s.itlMs !== undefined ? Math.max(1, s.ongoing) : s.ongoing) / ready,
        itlMs: s.itlMs,
        prefillMs: s.prefillMs,
        promptTokens: s.promptTokens,
        completions: s.completions,
        serviceMs: s.serviceMs,
      });
    const q = s.queued > 0;
    if (q && !queuing && TUNING.queueEpisodes > 0) {
      queueStarts = [...queueStarts.slice(-(2 * TUNING.queueEpisodes - 1)), { at: s.at, ready: input.replicas.ready }];
    }
    queuing = q;
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
  state.queuing = queuing;
  state.queueStarts = queueStarts;
  state.capacity = capacity;
}

/** The zero plan for the current quiet spell, made again when the spell passes a recorded gap. */
function currentPlan(spec: AutoscaleSpec, state: OurState, input: PolicyInput, terms: IdleTerms): ZeroPlan | undefined {
  const idle = input.now - state.lastActiveAt;
  if (!TUNING.zeroPlanner || spec.minReplicas > 0 || idle < MIN_GAP_MS || input.heldAtZero > 0) return undefined;
  const p = state.plan;
  if (p && p.activeAt === state.lastActiveAt && idle < p.validTo) return p;
  let validTo = Infinity;
  for (const g of state.gaps) if (g.gap > idle && g.gap < validTo) validTo = g.gap;
  const plan = planIdle(state.gaps, idle, terms.ms, terms.missCostMs);
  // a plan to keep the replica may wait a little for its next look (dropping a few seconds late costs a
  // few seconds); a plan to drop is made again at every recorded gap it passes before it acts
  if (validTo < Infinity && (!plan || plan.dropAt === Infinity)) validTo = Math.max(validTo, idle + Math.max(TUNING.replanMs, idle / 4));
  state.plan = plan
    ? {
        activeAt: state.lastActiveAt,
        validTo,
        dropAt: plan.dropAt,
        prewarmAt: plan.prewarmAt,
        cost: plan.cost,
        keepCost: plan.keepCost,
        candidates: plan.candidates,
      }
    : { activeAt: state.lastActiveAt, validTo, dropAt: Infinity, prewarmAt: Infinity, cost: NaN, keepCost: NaN, candidates: 0 };
  return state.plan;
}

function copyState(p: OurState): OurState {
  return {
    up: p.up,
    down: p.down,
    additions: p.additions,
    lastScaleUpAt: p.lastScaleUpAt,
    lastActiveAt: p.lastActiveAt,
    seenActivity: p.seenActivity,
    ready: p.ready,
    readyChangedAt: p.readyChangedAt,
    readyRoseAt: p.readyRoseAt,
    since: p.since,
    lastSampleAt: p.lastSampleAt,
    gaps: p.gaps,
    burstFrom: p.burstFrom,
    burstCount: p.burstCount,
    plan: p.plan,
    queuing: p.queuing,
    queueStarts: p.queueStarts,
    capacity: p.capacity,
    sloCase: p.sloCase,
    prewarmedSpell: p.prewarmedSpell,
    boundPrewarmAt: p.boundPrewarmAt,
  };
}

/** One more than the fewest ready replicas at which requests queued in TUNING.queueEpisodes episodes lately. */
function queuePressure(state: OurState, now: number, windowMs: number, ready: number): number {
  const k = TUNING.queueEpisodes;
  const starts = state.queueStarts;
  if (k <= 0 || starts.length < k) return 0;
  let n = 0;
  let fewest = Infinity;
  for (let i = starts.length - 1; i >= 0 && starts[i].at > now - windowMs; i--) {
    n++;
    fewest = Math.min(fewest, starts[i].ready);
  }
  return n >= k && fewest >= 1 ? Math.min(ready, fewest) + 1 : 0;
}

/** The SLO term's inputs: the TTFT split read from the samples, slot time and slots from the capacity model. */
function sloInputs(spec: AutoscaleSpec, sig: ReturnType<typeof readSignals>, capacity: CapacityModel): SloInputs {
  // slot time: the model's, or Little's law on the short window (requests in flight / arrival rate)
  const little = sig.rate > 0 ? sig.short.ongoing / sig.rate : 0;
  const slotMs = capacity.served > 0 ? capacity.serviceMs : little;
  return {
    ttft: sig.ttftP95Ms,
    wait: sig.waitP95Ms,
    ratePerMs: sig.rate,
    slotMs,
    slots: Math.max(spec.targetOngoingRequests, Math.floor(capacity.maxBatch)),
  };
}

function decide(spec: AutoscaleSpec, tolTarget: number, input: PolicyInput, prev: OurState): PolicyResult<OurState> {
  const { now, replicas } = input;
  const current = replicas.desired;
  const ready = replicas.ready;
  const state = copyState(prev);
  if (ready !== prev.ready) {
    state.ready = ready;
    state.readyChangedAt = now;
    if (ready > prev.ready) state.readyRoseAt = now;
  }
  trackActivity(state, input);
  const notes: Array<() => string> = [];
  // the three tiers: scale-to-zero and pre-warm plan with the way back of the next replica (a wake where
  // replicas sleep and the wake meets the TTFT SLO, else as for a cold start); scaling up under load keeps
  // the cold start (tiers.ts)
  const back = wayBack(input);
  const idleWay = idleTerms(back, input.coldStartMs, spec);

  // 1. reactive
  const sig = readSignals(input, state.readyChangedAt, spec.ttftP95Ms !== undefined);
  // requests held at zero are a backlog that grows through the cold start, not concurrency: once the slot
  // time is known, they need the slots that the arrival rate keeps busy, or that drain the backlog within
  // a cold start, whichever is more (never more than there are held requests)
  const held = ready === 0 ? input.heldAtZero : 0;
  if (held > 0 && state.capacity.served > 0) {
    const S = state.capacity.serviceMs;
    const h = Math.min(held, Math.max(sig.rate * S, (held * S) / Math.max(S, input.coldStartMs, 1)));
    sig.short = demand(sig.short.ongoing, Math.min(sig.short.queued, h), h);
    sig.long = demand(sig.long.ongoing, Math.min(sig.long.queued, h), h);
  }
  const slo = sloInputs(spec, sig, state.capacity);
  // scale-down keeps headroom for the demand's variability over the next cold start (newsvendor: z standard
  // deviations of the last minute's load); scale-up follows the demand there is (and surges) without it, and
  // requests held at zero are counted as they are
  const headroom = ready > 0 ? Math.min(TUNING.headroomZ * sig.loadStd, TUNING.headroomCap * sig.long.load) : 0;
  const upT = terms(spec, sig.short, slo, ready);
  const tolRec = tolTarget === spec.targetOngoingRequests ? upT.replicas : terms(spec, sig.short, slo, ready, tolTarget).replicas;
  const downT = terms(spec, sig.long, slo, ready, spec.targetOngoingRequests * (1 - TUNING.downMargin), headroom);
  state.sloCase = upT.sloCase;
  const confirmMs = Math.max(spec.upscaleDelayMs, TUNING.upConfirmShare * Math.max(0, input.coldStartMs));
  const keep = Math.max(confirmMs, spec.downscaleDelayMs) + 1;
  state.up = recordRun(prev.up, now, tolRec, keep);
  state.down = recordRun(prev.down, now, downT.replicas, keep);
  // a surge (the short window asks for at least `surgeFactor` x the replicas there and on their way, and two
  // more at least) is no blip: it is followed at once, without the confirmation (Knative's panic mode, at the
  // same factor)
  const surge = TUNING.surgeFactor > 0 && spec.upscaleDelayMs === 0 && upT.replicas >= Math.max(TUNING.surgeFactor * current, current + 2);
  const sustained = surge ? upT.replicas : runExtreme(state.up, now, confirmMs, 'min', tolRec);
  const pressure = queuePressure(state, now, spec.downscaleDelayMs, ready);
  // cold-start discipline: requests held at zero are demand that exists now: ask at once for what they need
  const heldNeed = held > 0 ? ceilReplicas(sig.short.load / spec.targetOngoingRequests) : 0;
  const upTarget = Math.max(sustained, pressure, heldNeed);
  // requests waiting (held, or queued at the gateway) need every replica on its way: none is cancelled
  const waiting = input.heldAtZero > 0 || (sig.last?.queued ?? 0) > 0;
  let reactive = current;
  if (!sig.hasSamples && input.heldAtZero <= 0) {
    notes.push(() => 'no samples yet');
  } else if (upTarget > current) {
    reactive = upTarget;
    if (heldNeed === upTarget && heldNeed > sustained) notes.push(() => `${held} held at zero: ${heldNeed} at once`);
    else if (surge && sustained === upTarget) notes.push(() => `surge to ${sustained} from ${current}: at once`);
    else if (pressure > sustained)
      notes.push(
        () => `requests queued at ${pressure - 1} replicas ${TUNING.queueEpisodes} times within ${formatDuration(spec.downscaleDelayMs)}: ${pressure}`,
      );
  } else {
    const floor = Math.max(sustained, pressure);
    // a scale-down to fewer (not zero) waits for a whole window of history; idle replicas go at the zero
    // bound below without it
    let downTarget = floor >= current ? floor : Math.max(runQuantile(state.down, now, spec.downscaleDelayMs, TUNING.downQuantile, downT.replicas), floor);
    // N -> 0 only after a whole window without demand (kedacore/keda#7770); the idle bound below may go sooner
    if (downTarget === 0) downTarget = runExtreme(state.down, now, spec.downscaleDelayMs, 'max', downT.replicas);
    // the replicas still starting that neither window asks for any more, while no request waits: cancel them
    const cancelTo = Math.max(downTarget, downT.replicas, upT.replicas, ready);
    const holdMs = Math.max(0, input.coldStartMs);
    if (downTarget < current) {
      const ago = now - prev.lastScaleUpAt;
      if (ago < holdMs) {
        if (cancelTo < current && !waiting) {
          reactive = cancelTo;
          notes.push(() => `${current - cancelTo} starting no longer asked for: cancelled`);
        } else if (waiting) notes.push(() => `scale-down to ${downTarget} held: requests are waiting`);
        else notes.push(() => `scale-down to ${downTarget} held: scaled up ${formatDuration(ago)} ago`);
      } else if (now - prev.since < spec.downscaleDelayMs) {
        notes.push(() => `scale-down to ${downTarget} held: ${formatDuration(spec.downscaleDelayMs)} of history needed`);
      } else reactive = downTarget;
    } else if (upT.replicas < current) {
      const q = Math.round(TUNING.downQuantile * 100);
      notes.push(() => `holding ${current}: ${downTarget} asked for (p${q} over ${formatDuration(spec.downscaleDelayMs)}, sustained or queueing)`);
    }
  }
  if (input.heldAtZero > 0 && reactive < 1) reactive = 1;

  // 2. floors
  let candidate = reactive;
  let hardFloor = spec.minReplicas;
  if (spec.minReplicas > 0) notes.push(() => `min ${spec.minReplicas}`);
  if (spec.schedules.length) {
    const sched = scheduleFloor(spec.schedules, now, spec.timeZone);
    if (sched.rule) {
      hardFloor = Math.max(hardFloor, sched.floor);
      const text = sched.rule.text;
      notes.push(() => `schedule "${text}" at least ${sched.floor}`);
    }
  }
  let forecastFloor = 0;
  if (spec.forecast && input.history.length) {
    const horizon = Math.max(0, back.ms) + DEMAND_BUCKET_MS;
    const peak = forecastPeak(input.history, now, now + horizon, { timeZone: spec.timeZone, now });
    if (peak) {
      forecastFloor = ceilReplicas(peak.concurrency / spec.targetOngoingRequests);
      const f = forecastFloor;
      notes.push(() => `forecast ${num(peak.concurrency)} within ${formatDuration(horizon)} = ${f}`);
    }
  }
  candidate = Math.max(candidate, hardFloor, forecastFloor);

  // 3. zero: the 1 -> 0 step is gated by idleness alone; N -> 0 also needs the downscale window (keda#7770),
  // except that no replica stays up past the user's scale-to-zero-after without any request (the bound)
  const idleMs = Math.max(0, now - state.lastActiveAt);
  const noFloor = hardFloor === 0 && forecastFloor === 0 && upT.replicas === 0;
  const boundIdleMs = Math.max(0, now - Math.max(state.lastActiveAt, state.readyRoseAt));
  const pastBound = noFloor && spec.minReplicas === 0 && boundIdleMs >= spec.scaleToZeroAfterMs;
  if (!noFloor && current > 0 && spec.minReplicas === 0 && boundIdleMs >= spec.scaleToZeroAfterMs && upT.replicas === 0) {
    notes.push(() => `idle ${formatDuration(boundIdleMs)}, kept by the ${hardFloor > 0 ? 'schedule' : 'forecast'}`);
  }
  const plan = noFloor ? currentPlan(spec, state, input, idleWay) : undefined;
  const planned = plan !== undefined && plan.candidates > 0 ? plan : undefined;
  const wantsZero = candidate === 0 || pastBound || (candidate === 1 && current <= 1 && noFloor);
  if (wantsZero && current > 0) {
    if (planned) {
      const gate = scaleToZeroGate({
        now,
        idleSince: now,
        idleAfterMs: 0,
        minReplicas: spec.minReplicas,
        starting: replicas.starting,
        heldAtZero: input.heldAtZero,
      });
      const due = (idleMs >= planned.dropAt && idleMs < planned.prewarmAt) || pastBound;
      if (due && gate.allowed) {
        candidate = 0;
        if (pastBound && !(idleMs >= planned.dropAt && idleMs < planned.prewarmAt)) {
          // the plan wanted the replica kept: the bound drops it, and one comes back a cold start before the
          // shortest recorded gap that is still possible ends (if that is still ahead)
          state.boundPrewarmAt = boundPrewarm(state, idleMs, idleWay.ms);
          notes.push(
            () => `idle ${formatDuration(boundIdleMs)} >= scale-to-zero-after ${formatDuration(spec.scaleToZeroAfterMs)}: scale to zero, ${back.text}`,
          );
        } else notes.push(() => `idle ${formatDuration(idleMs)}: ${planText(planned, back.ms)}: scale to zero, ${back.text}`);
      } else {
        candidate = Math.max(candidate, 1);
        if (!gate.allowed) notes.push(() => `not to zero: ${gate.reason}`);
        else notes.push(() => `idle ${formatDuration(idleMs)}: ${planText(planned, back.ms)}: keep, ${back.text}`);
      }
    } else {
      const idleSince = Math.max(state.lastActiveAt, state.readyRoseAt);
      const timerMs = spec.scaleToZeroAfterMs;
      const gate = scaleToZeroGate({
        now,
        idleSince,
        idleAfterMs: timerMs,
        minReplicas: spec.minReplicas,
        starting: replicas.starting,
        heldAtZero: input.heldAtZero,
      });
      if (gate.allowed) {
        candidate = 0;
        notes.push(() => `idle ${formatDuration(gate.idleMs)}: scale to zero, ${back.text}`);
      } else {
        candidate = Math.max(candidate, 1);
        if (gate.reason === 'not idle long enough') {
          notes.push(() => `idle ${formatDuration(gate.idleMs)} of ${formatDuration(timerMs)} before zero`);
        } else notes.push(() => `not to zero: ${gate.reason}`);
      }
    }
  }
  let prewarm = false;
  // one pre-warm per quiet spell: a pre-warmed replica that sees no request goes at the bound, for good
  const prewarmAt = prewarmTime(state, planned);
  if (current === 0 && candidate === 0 && now >= prewarmAt && state.prewarmedSpell !== state.lastActiveAt) {
    candidate = 1;
    prewarm = true;
    state.prewarmedSpell = state.lastActiveAt;
    const why = planned ? planText(planned, back.ms) : `the shortest recorded gap this long ends within a ${back.tier === 'sleeping' ? 'wake' : 'cold start'}`;
    notes.push(() => `idle ${formatDuration(idleMs)}: ${why}: pre-warm, ${back.text}`);
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
    const c = candidate;
    if (desired < candidate) notes.push(() => `upscale to ${c} held by rate limit ${formatRate(spec.maxScaleUpPerMinute)}`);
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
  const wakeAt = desired === 0 && prewarmAt < Infinity && state.prewarmedSpell !== state.lastActiveAt ? prewarmAt : undefined;
  const notice = upT.sloCase === 'prefill' && prev.sloCase !== 'prefill' ? `TTFT SLO breach that replicas cannot fix: ${upT.text()}` : undefined;
  return new Decision(desired, state, wakeAt, notice, () => {
    const down = showDown ? `; 60s ${downT.text()}` : '';
    const capacity = `ready ${ready} + starting ${replicas.starting}`;
    return `${[upT.text() + down, capacity, ...notes.map((n) => n())].join('; ')}; desired ${desired}`;
  });
}

/** A decision whose reason text is built when it is read (the simulator never reads it). */
class Decision implements PolicyResult<OurState> {
  private text: string | undefined;

  constructor(
    readonly desired: number,
    readonly state: OurState,
    readonly wakeAt: number | undefined,
    readonly notice: string | undefined,
    private readonly build: () => string,
  ) {}

  /** the fitted capacity model, for display */
  get model(): Record<string, unknown> {
    return { ...summarize(this.state.capacity) };
  }

  get reason(): string {
    if (this.text === undefined) this.text = this.build();
    return this.text;
  }

  toJSON(): { desired: number; reason: string } {
    return { desired: this.desired, reason: this.reason };
  }
}

/** A cold start before the shortest recorded gap longer than the quiet time so far ends, if still ahead. */
function boundPrewarm(state: OurState, idleMs: number, coldStartMs: number): { spell: number; at: number } | undefined {
  let next = Infinity;
  for (const g of state.gaps) if (g.gap > idleMs && g.gap < next) next = g.gap;
  const at = next - Math.max(0, coldStartMs);
  return at > idleMs && at < Infinity ? { spell: state.lastActiveAt, at: state.lastActiveAt + at } : undefined;
}

/** When to pre-warm in this quiet spell (absolute ms): the plan's time, or the one planned at the bound. */
function prewarmTime(state: OurState, planned: ZeroPlan | undefined): number {
  let at = planned && planned.prewarmAt < Infinity ? state.lastActiveAt + planned.prewarmAt : Infinity;
  const b = state.boundPrewarmAt;
  if (b && b.spell === state.lastActiveAt) at = Math.min(at, b.at);
  return at;
}

function planText(p: ZeroPlan, coldStartMs: number): string {
  const keep = `keeping costs ~${formatDuration(p.keepCost)} per quiet spell`;
  if (p.dropAt === Infinity) return `${p.candidates} past gaps this long, ${keep}, cheapest`;
  const back =
    p.prewarmAt === Infinity
      ? 'back on the next request'
      : `back at ${formatDuration(p.prewarmAt)} (the next request is due from ${formatDuration(p.prewarmAt + coldStartMs)})`;
  return `${p.candidates} past gaps this long: zero at ${formatDuration(p.dropAt)}, ${back}: ~${formatDuration(p.cost)} vs ${keep}`;
}

/** The registry's ours: the whole spec (its own minimum included). */
export const ours: PolicyEntry = { live: true, create: (o) => createOurPolicy(o.spec) };
