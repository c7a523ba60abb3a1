/**
 * What our policy reads from a PolicyInput, and the replica counts each signal asks for. Every term is
 * computed from the deployment's TOTAL demand (the gateway sees every request, served, queued or held),
 * never from per-replica metrics of ready replicas: adding replicas does not change the total, so a
 * scale-up neither cascades (aibrix#2670) nor undoes itself (ray#18925).
 *
 * Cost: the policy is asked every second for every deployment, so one pass over the last minute of
 * samples (from a binary search) gives both windows, the TTFT percentile is only computed when the spec
 * has a TTFT target, and the reason text is only built when someone reads it.
 */
import { ceilReplicas } from './pieces/clamp.js';
import { firstAfter, percentile } from './pieces/average.js';
import { replicasForWait, waitQuantileMs } from './pieces/capacity.js';
import type { AutoscaleSpec, LoadSample, PolicyInput } from './types.js';
import { formatDuration, num } from './units.js';

/** scale-up signal */
export const SHORT_WINDOW_MS = 10_000;
/** scale-down signal, and the sustained level a scale-up may always go to */
export const LONG_WINDOW_MS = 60_000;
/** TTFT p95 look-back */
export const TTFT_WINDOW_MS = 30_000;
/** TTFT above this share of the target holds the ready replicas (no scale-down into a breach) */
export const TTFT_HOLD_SHARE = 0.8;

export interface Demand {
  ongoing: number;
  queued: number;
  held: number;
  /** ongoing + max(queued, held): held requests may or may not be in the gateway queue; never counted twice */
  load: number;
}

export interface Signals {
  /** average over SHORT_WINDOW_MS */
  short: Demand;
  /** average over LONG_WINDOW_MS */
  long: Demand;
  ttftP95Ms?: number;
  /** the TTFT split over the same look-back: p95 of the wait for a slot, and the mean prefill (when fed) */
  waitP95Ms?: number;
  prefillMs?: number;
  /** arrivals per ms over SHORT_WINDOW_MS */
  rate: number;
  /** standard deviation of the per-second load (ongoing + queued) over LONG_WINDOW_MS: the demand's variability */
  loadStd: number;
  hasSamples: boolean;
  /** the newest sample at or before now */
  last?: LoadSample;
}

export function demand(ongoing: number, queued: number, held: number): Demand {
  return { ongoing, queued, held, load: ongoing + Math.max(queued, held) };
}

/**
 * `ttftSince`: ignore TTFT measured before the ready count last changed (it describes the old capacity);
 * `withTtft`: false skips the TTFT percentile (no TTFT target in the spec).
 */
export function readSignals(input: PolicyInput, ttftSince: number, withTtft: boolean): Signals {
  const { samples, now, heldAtZero } = input;
  const longFrom = now - LONG_WINDOW_MS;
  const shortFrom = now - SHORT_WINDOW_MS;
  let end = samples.length;
  while (end > 0 && samples[end - 1].at > now) end--;
  const start = firstAfter(samples, longFrom);
  let lo = 0,
    lq = 0,
    ln = 0,
    so = 0,
    sq = 0,
    sn = 0,
    sa = 0,
    l2 = 0;
  for (let i = start; i < end; i++) {
    const s = samples[i];
    lo += s.ongoing;
    l2 += (s.ongoing + s.queued) * (s.ongoing + s.queued);
    lq += s.queued;
    ln++;
    if (s.at > shortFrom) {
      so += s.ongoing;
      sq += s.queued;
      sa += s.arrivals;
      sn++;
    }
  }
  const last = end > 0 ? samples[end - 1] : undefined;
  const short = sn ? demand(so / sn, sq / sn, heldAtZero) : demand(0, 0, heldAtZero);
  const long = ln ? demand(lo / ln, lq / ln, heldAtZero) : demand(0, 0, heldAtZero);
  let ttftP95Ms: number | undefined;
  let waitP95Ms: number | undefined;
  let prefillMs: number | undefined;
  if (withTtft) {
    const values: number[] = [];
    const waits: number[] = [];
    let pre = 0;
    let preN = 0;
    const from = Math.max(now - TTFT_WINDOW_MS, ttftSince - 1);
    for (let i = firstAfter(samples, from); i < end; i++) {
      const s = samples[i];
      if (s.at >= ttftSince && s.ttftP95Ms !== undefined && Number.isFinite(s.ttftP95Ms)) {
        values.push(s.ttftP95Ms);
        if (s.waitP95Ms !== undefined && Number.isFinite(s.waitP95Ms)) waits.push(s.waitP95Ms);
        if (s.prefillMs !== undefined && Number.isFinite(s.prefillMs)) {
          pre += s.prefillMs;
          preN++;
        }
      }
    }
    ttftP95Ms = percentile(values, 95);
    // the split is only trusted when every TTFT point came with its wait
    if (waits.length === values.length) waitP95Ms = percentile(waits, 95);
    if (preN) prefillMs = pre / preN;
  }
  const rate = sn ? sa / (sn * 1000) : 0;
  const mean = ln ? (lo + lq) / ln : 0;
  const loadStd = ln > 1 ? Math.sqrt(Math.max(0, l2 / ln - mean * mean)) : 0;
  return { short, long, loadStd, ttftP95Ms, waitP95Ms, prefillMs, rate, hasSamples: last !== undefined, last };
}

/** share of the TTFT target that, spent in prefill alone, makes a breach prefill-bound */
export const PREFILL_BOUND_SHARE = 0.9;
/** a breach whose wait is at most this share of the TTFT is prefill-bound too (the queue is not the problem) */
export const WAIT_MINOR_SHARE = 0.1;
/** the SLO term never asks for more than this many times the load term (no runaway) */
export const SLO_MAX_FACTOR = 2;

/** What the SLO term needs besides the demand: the TTFT split, and the capacity model's slot time and slots. */
export interface SloInputs {
  ttft?: number;
  /** p95 wait for a slot; undefined: unknown, the whole TTFT counts as wait */
  wait?: number;
  /** arrivals per ms, and the mean time a request holds a slot (ms; 0 unknown) */
  ratePerMs: number;
  slotMs: number;
  /** slots per replica the queueing model assumes (the engine's batch, at least the target) */
  slots: number;
}

export type SloCase = 'none' | 'prefill' | 'few' | 'breach' | 'near';

/** The replica counts asked for by load, the TTFT SLO and the queue target, for one Demand. */
export class Terms {
  /** max of the three */
  readonly replicas: number;

  constructor(
    private readonly spec: AutoscaleSpec,
    private readonly d: Demand,
    private readonly s: SloInputs,
    private readonly target: number,
    readonly load: number,
    readonly slo: number,
    readonly sloCase: SloCase,
    readonly queue: number,
  ) {
    this.replicas = Math.max(load, slo, queue);
  }

  /** "load 7.2 (ongoing 6, queued 1.2) / target 2 = 4 replicas; ..." */
  text(): string {
    const { spec, d, s, load, slo, queue } = this;
    const parts = [`ongoing ${num(d.ongoing)}`, `queued ${num(d.queued)}`];
    if (d.held > 0) parts.push(`held ${num(d.held)}`);
    const out = [`load ${num(d.load)} (${parts.join(', ')}) / target ${num(this.target)} = ${load} replica${load === 1 ? '' : 's'}`];
    if (this.sloCase !== 'none' && spec.ttftP95Ms !== undefined && s.ttft !== undefined) {
      const ttft = s.ttft;
      const wait = Math.min(ttft, s.wait ?? ttft);
      const show = `ttft p95 ${formatDuration(ttft)} ${ttft > spec.ttftP95Ms ? 'is above' : 'vs'} the ${formatDuration(spec.ttftP95Ms)} SLO`;
      if (this.sloCase === 'prefill') {
        const share = Math.round((100 * (ttft - wait)) / Math.max(1, ttft));
        out.push(`${show}, ${share}% of it prefill (wait p95 ${formatDuration(wait)}): more replicas would not help`);
      } else if (this.sloCase === 'few') {
        out.push(`${show} with <= 1 request per replica: more replicas would not help`);
      } else if (this.sloCase === 'breach') out.push(`${show}, wait p95 ${formatDuration(wait)} = ${slo}`);
      else out.push(`${show} near target, holds ${slo}`);
    }
    if (queue) out.push(`queue ${num(d.queued)} / ${num(spec.targetQueueLength ?? 1)} per replica = ${queue}`);
    return out.join('; ');
  }
}

/**
 * The replica count the TTFT SLO asks for. Only the wait for a slot falls when replicas are added, so:
 * a breach that is mostly prefill asks for none ('prefill'), and so does one with at most one request per
 * replica ('few'); a breach of the wait asks for the fewest replicas whose predicted p95 wait (M/M/k over
 * `slots` per replica, calibrated to the wait measured at the replicas ready now) fits the budget left
 * after prefill ('breach'); near the target it holds the ready replicas ('near'). Never more than
 * SLO_MAX_FACTOR x the load term.
 */
export function sloTerm(spec: AutoscaleSpec, s: SloInputs, d: Demand, ready: number, load: number): { replicas: number; sloCase: SloCase } {
  const target = spec.ttftP95Ms;
  if (target === undefined || s.ttft === undefined) return { replicas: 0, sloCase: 'none' };
  const ttft = s.ttft;
  const ratio = ttft / target;
  if (ratio <= TTFT_HOLD_SHARE) return { replicas: 0, sloCase: 'none' };
  const wait = Math.min(ttft, s.wait ?? ttft);
  const fixed = ttft - wait;
  if (fixed >= PREFILL_BOUND_SHARE * target || (ratio > 1 && wait <= WAIT_MINOR_SHARE * ttft)) return { replicas: 0, sloCase: 'prefill' };
  const have = Math.max(1, ready);
  if (d.load / have <= 1) return { replicas: 0, sloCase: 'few' };
  const cap = Math.floor(SLO_MAX_FACTOR * Math.max(1, load));
  if (ratio <= 1) return { replicas: Math.min(ceilReplicas(d.load), ready, cap), sloCase: 'near' };
  const budget = target - fixed;
  // the queueing model where it explains the wait measured now (calibrated to it, as Kingman's burstiness
  // factor scales M/M/k); where it predicts no wait at all, the measured wait over the budget, at most 2x
  const predicted = s.ratePerMs > 0 && s.slotMs > 0 ? waitQuantileMs(have * s.slots, s.ratePerMs, s.slotMs, 0.95) : 0;
  let n: number;
  if (predicted > 0) {
    const burst = Number.isFinite(predicted) ? Math.min(10, Math.max(1, wait / predicted)) : 1;
    n = replicasForWait({
      from: have,
      max: Math.max(have, cap),
      slotsPerReplica: s.slots,
      ratePerMs: s.ratePerMs,
      slotMs: s.slotMs,
      budgetMs: budget,
      q: 0.95,
      burst,
    });
  } else n = ceilReplicas(have * Math.min(wait / Math.max(1, budget), 2));
  return { replicas: Math.min(Math.max(n, have), Math.max(cap, load)), sloCase: 'breach' };
}

/** The replica counts asked for by load (at `target` per replica), the TTFT SLO and the queue target. */
export function terms(spec: AutoscaleSpec, d: Demand, s: SloInputs, ready: number, target = spec.targetOngoingRequests, headroom = 0): Terms {
  // headroom only on top of demand there is: none asks for a replica when nothing is asked
  const load = ceilReplicas((d.load > 0 ? d.load + headroom : 0) / target);
  const slo = sloTerm(spec, s, d, ready, load);
  const queue = spec.targetQueueLength !== undefined && d.queued > 0 ? ceilReplicas(d.queued / spec.targetQueueLength) : 0;
  return new Terms(spec, d, s, target, load, slo.replicas, slo.sloCase, queue);
}
