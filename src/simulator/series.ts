/** Time series on a fixed grid, for the report's plots (time-averaged per bucket, summed over deployments). */

/** Adds the time-average of a step function (value v[k] from t[k] on) over each bucket into `out`. */
export function addStepToGrid(t: readonly number[], v: readonly number[], endMs: number, bucketMs: number, out: Float64Array): void {
  for (let k = 0; k < t.length; k++) {
    const value = v[k];
    if (value === 0) continue;
    const from = Math.max(0, t[k]);
    const to = Math.min(k + 1 < t.length ? t[k + 1] : endMs, out.length * bucketMs);
    addInterval(from, to, value, bucketMs, out);
  }
}

/** Adds a per-second series (value for [s, s+1) s) into the grid, time-averaged. */
export function addPerSecondToGrid(perSecond: ArrayLike<number>, bucketMs: number, out: Float64Array): void {
  for (let s = 0; s < perSecond.length; s++) {
    const value = perSecond[s];
    if (value !== 0) addInterval(s * 1000, (s + 1) * 1000, value, bucketMs, out);
  }
}

function addInterval(from: number, to: number, value: number, bucketMs: number, out: Float64Array): void {
  if (to <= from) return;
  let b = Math.floor(from / bucketMs);
  while (b < out.length && from < to) {
    const bEnd = (b + 1) * bucketMs;
    const seg = Math.min(to, bEnd) - from;
    out[b] += (value * seg) / bucketMs;
    from = bEnd;
    b++;
  }
}
