/** Window statistics over LoadSamples. Samples are oldest first; windows are (now - windowMs, now]. */
import type { LoadSample } from '../types.js';

export type SampleField = 'ongoing' | 'queued' | 'arrivals' | 'load' | ((s: LoadSample) => number);

/** ongoing + queued: every request the deployment has, served or waiting. */
export const loadOf = (s: LoadSample): number => s.ongoing + s.queued;

function valueOf(s: LoadSample, field: SampleField): number {
  if (typeof field === 'function') return field(s);
  return field === 'load' ? loadOf(s) : s[field];
}

/** Index of the first sample with `at > from` (binary search: samples are sorted by time). */
export function firstAfter(samples: readonly LoadSample[], from: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].at > from) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Samples in (now - windowMs, now]. */
export function samplesIn(samples: readonly LoadSample[], now: number, windowMs: number): readonly LoadSample[] {
  const start = firstAfter(samples, now - windowMs);
  let end = samples.length;
  while (end > start && samples[end - 1].at > now) end--;
  return samples.slice(start, end);
}

/** Plain average of `field` over the samples in the window; undefined when the window has none. */
export function windowAverage(samples: readonly LoadSample[], now: number, windowMs: number, field: SampleField): number | undefined {
  const start = firstAfter(samples, now - windowMs);
  let sum = 0;
  let n = 0;
  for (let i = start; i < samples.length && samples[i].at <= now; i++) {
    sum += valueOf(samples[i], field);
    n++;
  }
  return n ? sum / n : undefined;
}

/** Sum of `field` over the window (e.g. arrivals). */
export function windowSum(samples: readonly LoadSample[], now: number, windowMs: number, field: SampleField): number {
  const start = firstAfter(samples, now - windowMs);
  let sum = 0;
  for (let i = start; i < samples.length && samples[i].at <= now; i++) sum += valueOf(samples[i], field);
  return sum;
}

/** Nearest-rank percentile (p in 0..100) of the values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * p95 of the per-sample TTFT p95s in the window, counting only samples at or after `since` (samples
 * taken before a capacity change describe the old capacity). Undefined when no request got a first token.
 */
export function ttftP95(samples: readonly LoadSample[], now: number, windowMs: number, since = -Infinity): number | undefined {
  const values: number[] = [];
  for (const s of samplesIn(samples, now, windowMs)) {
    if (s.at >= since && s.ttftP95Ms !== undefined && Number.isFinite(s.ttftP95Ms)) values.push(s.ttftP95Ms);
  }
  return percentile(values, 95);
}

/** The newest sample at or before `now`, if any. */
export function latestSample(samples: readonly LoadSample[], now: number): LoadSample | undefined {
  for (let i = samples.length - 1; i >= 0; i--) if (samples[i].at <= now) return samples[i];
  return undefined;
}
