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

/** Finite values (a new array), unsorted. */
export function finiteValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== Infinity) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== Infinity) out[j++] = values[i];
  return out;
}

/**
 * Nearest-rank percentiles (ascending p) without a full sort: quickselect, which reorders `a` in place.
 * Same results as percentileOf on the sorted array.
 */
export function selectPercentiles(a: Float64Array, ps: readonly number[]): number[] {
  const n = a.length;
  if (n === 0) return ps.map(() => 0);
  let lo = 0;
  return ps.map((p) => {
    const k = Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1;
    const v = quickselect(a, k, lo, n - 1);
    lo = k;
    return v;
  });
}

function quickselect(a: Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    // median of three as the pivot
    let x = a[left];
    let y = a[mid];
    let z = a[right];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}
