/**
 * One bucket of history (1 s sample, 10 s, or 5 min): additive sums, so buckets merge by adding, plus a
 * TTFT histogram. A HistoryPoint is what a bucket reads as: rates per second and averages.
 */
import type { LoadSample } from '../autoscaler/types.js';
import { merge, observe, percentile, type Histogram } from './histogram.js';

/** A LoadSample with the extra figures the history keeps (all optional: a bare LoadSample is fine). */
export interface HistorySample extends LoadSample {
  /** length of the interval the sample covers, ms (default 1000) */
  intervalMs?: number;
  /** raw TTFT values of the interval; when absent, `ttftP95Ms` stands in as one observation */
  ttftMs?: readonly number[];
  /** completion tokens produced during the interval */
  tokens?: number;
  /** replicas: desired, ready, on their way (pending + starting), and GPUs held at sample time */
  desired?: number;
  ready?: number;
  starting?: number;
  gpus?: number;
}

export interface Bucket {
  at: number;
  /** samples folded in */
  n: number;
  /** seconds of observation covered */
  seconds: number;
  arrivals: number;
  ongoing: number;
  queued: number;
  tokens: number;
  desired: number;
  ready: number;
  starting: number;
  gpus: number;
  ttft: Histogram;
}

/** What the dashboard, `deployment show` and the API read: per-second rates and averages over the bucket. */
export interface HistoryPoint {
  /** bucket start, ms */
  at: number;
  /** requests per second */
  requestRate: number;
  /** average requests being served */
  ongoing: number;
  /** average requests waiting in the gateway queue */
  queued: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  /** completion tokens per second */
  tokensPerSecond: number;
  /** average replica counts and GPUs held over the bucket */
  desired: number;
  ready: number;
  starting: number;
  gpus: number;
}

export const emptyBucket = (at: number): Bucket => ({
  at,
  n: 0,
  seconds: 0,
  arrivals: 0,
  ongoing: 0,
  queued: 0,
  tokens: 0,
  desired: 0,
  ready: 0,
  starting: 0,
  gpus: 0,
  ttft: {},
});

export function addSample(b: Bucket, s: HistorySample): void {
  b.n++;
  b.seconds += (s.intervalMs ?? 1000) / 1000;
  b.arrivals += s.arrivals;
  b.ongoing += s.ongoing;
  b.queued += s.queued;
  b.tokens += s.tokens ?? 0;
  b.desired += s.desired ?? 0;
  b.ready += s.ready ?? 0;
  b.starting += s.starting ?? 0;
  b.gpus += s.gpus ?? 0;
  if (s.ttftMs) for (const t of s.ttftMs) observe(b.ttft, t);
  else if (s.ttftP95Ms !== undefined) observe(b.ttft, s.ttftP95Ms);
}

export function addBucket(into: Bucket, b: Bucket): void {
  for (const k of ['n', 'seconds', 'arrivals', 'ongoing', 'queued', 'tokens', 'desired', 'ready', 'starting', 'gpus'] as const) into[k] += b[k];
  merge(into.ttft, b.ttft);
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export function toPoint(b: Bucket): HistoryPoint {
  const n = b.n || 1;
  const secs = b.seconds || 1;
  const p50 = percentile(b.ttft, 0.5);
  const p95 = percentile(b.ttft, 0.95);
  return {
    at: b.at,
    requestRate: round(b.arrivals / secs),
    ongoing: round(b.ongoing / n),
    queued: round(b.queued / n),
    ttftP50Ms: p50 === undefined ? null : round(p50, 1),
    ttftP95Ms: p95 === undefined ? null : round(p95, 1),
    tokensPerSecond: round(b.tokens / secs),
    desired: round(b.desired / n),
    ready: round(b.ready / n),
    starting: round(b.starting / n),
    gpus: round(b.gpus / n),
  };
}
