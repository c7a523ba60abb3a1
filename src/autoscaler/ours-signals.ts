/**
 * What our policy reads from a PolicyInput, and the replica counts each signal asks for. Every term is
 * computed from the deployment's TOTAL demand (the gateway sees every request, served, queued or held),
 * never from per-replica metrics of ready replicas: adding replicas does not change the total, so a
 * scale-up neither cascades (aibrix#2670) nor undoes itself (ray#18925).
 */
import { ceilReplicas } from './pieces/clamp.js';
import { latestSample, ttftP95, windowAverage } from './pieces/average.js';
import type { AutoscaleSpec, PolicyInput } from './types.js';
import { formatDuration, num } from './units.js';

/** scale-up signal: average over this, or the latest sample when requests wait */
export const SHORT_WINDOW_MS = 10_000;
/** scale-down signal */
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
  /** for scale-up */
  short: Demand;
  /** true when `short` is the latest sample because requests are waiting */
  immediate: boolean;
  /** for scale-down */
  long: Demand;
  ttftP95Ms?: number;
  hasSamples: boolean;
}

function demand(ongoing: number, queued: number, held: number): Demand {
  return { ongoing, queued, held, load: ongoing + Math.max(queued, held) };
}

/** `ttftSince`: ignore TTFT measured before the ready count last changed (it describes the old capacity). */
export function readSignals(input: PolicyInput, ttftSince: number): Signals {
  const { samples, now, heldAtZero } = input;
  const avg = (w: number, f: 'ongoing' | 'queued') => windowAverage(samples, now, w, f) ?? 0;
  let short = demand(avg(SHORT_WINDOW_MS, 'ongoing'), avg(SHORT_WINDOW_MS, 'queued'), heldAtZero);
  const last = latestSample(samples, now);
  let immediate = false;
  if (last && (last.queued > 0 || heldAtZero > 0)) {
    const latest = demand(last.ongoing, last.queued, heldAtZero);
    if (latest.load > short.load + 1e-9) {
      short = latest;
      immediate = true;
    }
  }
  const long = demand(avg(LONG_WINDOW_MS, 'ongoing'), avg(LONG_WINDOW_MS, 'queued'), heldAtZero);
  const ttft = ttftP95(samples, now, TTFT_WINDOW_MS, ttftSince);
  return { short, immediate, long, ttftP95Ms: ttft, hasSamples: last !== undefined };
}

export interface Terms {
  load: number;
  slo: number;
  queue: number;
  /** max of the three */
  replicas: number;
  /** "load 7.2 (ongoing 6, queued 1.2) / target 2 = 4; ..." */
  text: string;
}

/** The replica counts asked for by load, the TTFT SLO and the queue target, for one Demand. */
export function terms(spec: AutoscaleSpec, d: Demand, ttft: number | undefined, ready: number): Terms {
  const load = ceilReplicas(d.load / spec.targetOngoingRequests);
  const parts = [`ongoing ${num(d.ongoing)}`, `queued ${num(d.queued)}`];
  if (d.held > 0) parts.push(`held ${num(d.held)}`);
  const text = [`load ${num(d.load)} (${parts.join(', ')}) / target ${num(spec.targetOngoingRequests)} = ${load} replica${load === 1 ? '' : 's'}`];

  let slo = 0;
  if (spec.ttftP95Ms !== undefined && ttft !== undefined) {
    const ratio = ttft / spec.ttftP95Ms;
    const perReplica = d.load / Math.max(1, ready);
    const show = `ttft p95 ${formatDuration(ttft)} vs ${formatDuration(spec.ttftP95Ms)}`;
    if (perReplica <= 1 && ratio > TTFT_HOLD_SHARE) {
      text.push(`${show} with <= 1 request per replica: more replicas would not help`);
    } else if (ratio > 1) {
      slo = Math.min(ceilReplicas(d.load), ceilReplicas(Math.max(1, ready) * Math.min(ratio, 2)));
      text.push(`${show} = ${slo}`);
    } else if (ratio > TTFT_HOLD_SHARE) {
      slo = Math.min(ceilReplicas(d.load), ready);
      text.push(`${show} near target, holds ${slo}`);
    }
  }

  let queue = 0;
  if (spec.targetQueueLength !== undefined && d.queued > 0) {
    queue = ceilReplicas(d.queued / spec.targetQueueLength);
    text.push(`queue ${num(d.queued)} / ${num(spec.targetQueueLength)} per replica = ${queue}`);
  }
  return { load, slo, queue, replicas: Math.max(load, slo, queue), text: text.join('; ') };
}
