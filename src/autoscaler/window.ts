/**
 * Signal state, apart from the policies (Ray Serve's split): SignalWindow keeps the last hour of
 * LoadSamples for PolicyInput.samples; DemandHistory folds samples into 5-minute DemandPoints for the
 * forecast (the store keeps those across restarts). No clock here: times come from the samples.
 */
import type { DemandPoint, LoadSample } from './types.js';

export const HOUR_MS = 3_600_000;
export const DEMAND_BUCKET_MS = 5 * 60_000;

export class SignalWindow {
  private buf: LoadSample[] = [];

  constructor(readonly maxAgeMs: number = HOUR_MS) {}

  /** Adds a sample (out-of-order or duplicate timestamps replace or are inserted in order). */
  add(sample: LoadSample): void {
    const last = this.buf[this.buf.length - 1];
    if (!last || sample.at > last.at) this.buf.push(sample);
    else {
      const i = this.buf.findIndex((s) => s.at >= sample.at);
      if (this.buf[i].at === sample.at) this.buf[i] = sample;
      else this.buf.splice(i, 0, sample);
    }
    this.prune(this.buf[this.buf.length - 1].at);
  }

  /** Drops samples older than maxAgeMs before `now`. */
  prune(now: number): void {
    const cutoff = now - this.maxAgeMs;
    let drop = 0;
    while (drop < this.buf.length && this.buf[drop].at < cutoff) drop++;
    if (drop) this.buf = this.buf.slice(drop);
  }

  /** Oldest first; a live view that changes as samples are added (copy it to keep a snapshot). */
  samples(): readonly LoadSample[] {
    return this.buf;
  }

  get size(): number {
    return this.buf.length;
  }
}

interface Acc {
  start: number;
  load: number;
  arrivals: number;
  n: number;
}

function point(a: Acc, sampleIntervalMs: number): DemandPoint {
  return { at: a.start, concurrency: a.load / a.n, rate: a.arrivals / ((a.n * sampleIntervalMs) / 1000) };
}

/**
 * Buckets samples (oldest first) into DemandPoints: mean of ongoing + queued, and arrivals per second over
 * the time the samples cover (n samples x sampleIntervalMs), so a gap in sampling does not read as calm.
 */
export function bucketSamples(samples: readonly LoadSample[], bucketMs: number = DEMAND_BUCKET_MS, sampleIntervalMs = 1000): DemandPoint[] {
  const out: DemandPoint[] = [];
  let acc: Acc | undefined;
  for (const s of samples) {
    const start = Math.floor(s.at / bucketMs) * bucketMs;
    if (!acc || acc.start !== start) {
      if (acc) out.push(point(acc, sampleIntervalMs));
      acc = { start, load: 0, arrivals: 0, n: 0 };
    }
    acc.load += s.ongoing + s.queued;
    acc.arrivals += s.arrivals;
    acc.n++;
  }
  if (acc) out.push(point(acc, sampleIntervalMs));
  return out;
}

/** Long-term demand: closes a bucket when the first sample of a later bucket arrives. */
export class DemandHistory {
  private points: DemandPoint[];
  private open: Acc | undefined;

  constructor(
    initial: readonly DemandPoint[] = [],
    readonly bucketMs: number = DEMAND_BUCKET_MS,
    readonly maxAgeMs: number = 35 * 86_400_000,
    readonly sampleIntervalMs = 1000,
  ) {
    this.points = [...initial].sort((a, b) => a.at - b.at);
  }

  /** Feeds one sample; returns the point it closed, if any (for the store to persist). */
  record(s: LoadSample): DemandPoint | undefined {
    const start = Math.floor(s.at / this.bucketMs) * this.bucketMs;
    let closed: DemandPoint | undefined;
    if (this.open && this.open.start !== start) {
      if (start < this.open.start) return undefined; // late sample for a closed bucket: ignored
      closed = point(this.open, this.sampleIntervalMs);
      this.points.push(closed);
      let drop = 0;
      while (drop < this.points.length && this.points[drop].at < start - this.maxAgeMs) drop++;
      if (drop) this.points.splice(0, drop);
      this.open = undefined;
    }
    if (!this.open) this.open = { start, load: 0, arrivals: 0, n: 0 };
    this.open.load += s.ongoing + s.queued;
    this.open.arrivals += s.arrivals;
    this.open.n++;
    return closed;
  }

  /** Closed buckets, oldest first (for PolicyInput.history). */
  history(): readonly DemandPoint[] {
    return this.points;
  }
}
