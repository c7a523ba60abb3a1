/** Percentiles and CDF points over per-request latencies (failed requests are Infinity and left out). */

/** The finite values, sorted ascending (a new array). */
export function sortedFinite(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== Infinity) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== Infinity) out[j++] = values[i];
  return out.sort();
}

/** Nearest-rank percentile (p in 0..100) of sorted values; 0 for none. */
export function percentileOf(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1];
}

/** Fraction of all requests (failed ones included, as misses) with a value at or under `limit`. */
export function fractionAtOrUnder(sorted: Float64Array, total: number, limit: number): number {
  if (total === 0) return 1;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo / total;
}

/**
 * CDF points [value, fraction of ALL requests] at `points` evenly spaced fractions of the served ones; the
 * curve tops out below 1 when requests failed.
 */
export function cdfPoints(sorted: Float64Array, total: number, points = 100): [number, number][] {
  const n = sorted.length;
  const out: [number, number][] = [];
  if (n === 0 || total === 0) return out;
  for (let k = 1; k <= points; k++) {
    const idx = Math.min(n - 1, Math.ceil((k / points) * n) - 1);
    out.push([sorted[idx], (idx + 1) / total]);
  }
  return out;
}

/** Rounds for stable, readable JSON. */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
