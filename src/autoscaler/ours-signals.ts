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
  let lo = 0, lq = 0, ln = 0, so = 0, sq = 0, sn = 0;
  for (let i = start; i < end; i++) {
    const s = samples[i];
    lo += s.ongoing;
    lq += s.queued;
    ln++;
    if (s.at > shortFrom) {
      so += s.ongoing;
      sq += s.queued;
      sn++;
    }
  }
  const last = end > 0 ? samples[end - 1] : undefined;
  const short = sn ? demand(so / sn, sq / sn, heldAtZero) : demand(0, 0, heldAtZero);
  const long = ln ? demand(lo / ln, lq / ln, heldAtZero) : demand(0, 0, heldAtZero);
  let ttftP95Ms: number | undefined;
  if (withTtft) {
    const values: number[] = [];
    const from = Math.max(now - TTFT_WINDOW_MS, ttftSince - 1);
    for (let i = firstAfter(samples, from); i < end; i++) {
      const s = samples[i];
      if (s.at >= ttftSince && s.ttftP95Ms !== undefined && Number.isFinite(s.ttftP95Ms)) values.push(s.ttftP95Ms);
    }
    ttftP95Ms = percentile(values, 95);
  }
  return { short, long, ttftP95Ms, hasSamples: last !== undefined, last };
}

/** The replica counts asked for by load, the TTFT SLO and the queue target, for one Demand. */
export class Terms {
  /** max of the three */
  readonly replicas: number;

  constructor(
    private readonly spec: AutoscaleSpec,
    private readonly d: Demand,
    private readonly ttft: number | undefined,
    private readonly target: number,
    readonly load: number,
    readonly slo: number,
    /** 0: no SLO term; 1: one request per replica (more would not help); 2: breach; 3: near the target */
    private readonly sloCase: number,
    readonly queue: number,
  ) {
    this.replicas = Math.max(load, slo, queue);
  }

  /** "load 7.2 (ongoing 6, queued 1.2) / target 2 = 4 replicas; ..." */
  text(): string {
    const { spec, d, ttft, load, slo, queue } = this;
    const parts = [`ongoing ${num(d.ongoing)}`, `queued ${num(d.queued)}`];
    if (d.held > 0) parts.push(`held ${num(d.held)}`);
    const out = [`load ${num(d.load)} (${parts.join(', ')}) / target ${num(this.target)} = ${load} replica${load === 1 ? '' : 's'}`];
    if (this.sloCase && spec.ttftP95Ms !== undefined && ttft !== undefined) {
      const show = `ttft p95 ${formatDuration(ttft)} vs ${formatDuration(spec.ttftP95Ms)}`;
      if (this.sloCase === 1) out.push(`${show} with <= 1 request per replica: more replicas would not help`);
      else if (this.sloCase === 2) out.push(`${show} = ${slo}`);
      else out.push(`${show} near target, holds ${slo}`);
    }
    if (queue) out.push(`queue ${num(d.queued)} / ${num(spec.targetQueueLength ?? 1)} per replica = ${queue}`);
    return out.join('; ');
  }
}

/** The replica counts asked for by load (at `target` per replica), the TTFT SLO and the queue target. */
export function terms(
  spec: AutoscaleSpec,
  d: Demand,
  ttft: number | undefined,
  ready: number,
  target = spec.targetOngoingRequests,
): Terms {
  const load = ceilReplicas(d.load / target);
  let slo = 0;
  let sloCase = 0;
  if (spec.ttftP95Ms !== undefined && ttft !== undefined) {
    const ratio = ttft / spec.ttftP95Ms;
    const perReplica = d.load / Math.max(1, ready);
    if (perReplica <= 1 && ratio > TTFT_HOLD_SHARE) sloCase = 1;
    else if (ratio > 1) {
      slo = Math.min(ceilReplicas(d.load), ceilReplicas(Math.max(1, ready) * Math.min(ratio, 2)));
      sloCase = 2;
    } else if (ratio > TTFT_HOLD_SHARE) {
      slo = Math.min(ceilReplicas(d.load), ready);
      sloCase = 3;
    }
  }
  const queue = spec.targetQueueLength !== undefined && d.queued > 0 ? ceilReplicas(d.queued / spec.targetQueueLength) : 0;
  return new Terms(spec, d, ttft, target, load, slo, sloCase, queue);
}
