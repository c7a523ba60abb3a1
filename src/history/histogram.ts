/**
 * A mergeable latency histogram for TTFT percentiles of 10 s and 5 min buckets: log-spaced bins (ratio
 * 1.15, 0.5 ms to ~10 min), so merging buckets is adding counts and a percentile is off by at most ~7 %.
 * Stored sparsely as {bin: count}.
 */
const RATIO = 1.15;
const MIN_MS = 0.5;
const LOG_RATIO = Math.log(RATIO);
export const BIN_COUNT = 100;

export type Histogram = Record<number, number>;

export function binOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BIN_COUNT - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_RATIO));
}

/** Lower and upper bound of a bin, ms. */
function bounds(bin: number): [number, number] {
  return [bin === 0 ? 0 : MIN_MS * RATIO ** bin, MIN_MS * RATIO ** (bin + 1)];
}

export function observe(h: Histogram, ms: number, count = 1): void {
  const b = binOf(ms);
  h[b] = (h[b] ?? 0) + count;
}

export function merge(into: Histogram, from: Histogram): void {
  for (const [b, n] of Object.entries(from)) into[Number(b)] = (into[Number(b)] ?? 0) + n;
}

export function total(h: Histogram): number {
  let n = 0;
  for (const c of Object.values(h)) n += c;
  return n;
}

/** The q-quantile, interpolated inside its bin (geometric midpoint for a lone observation); undefined when empty. */
export function percentile(h: Histogram, q: number): number | undefined {
  const n = total(h);
  if (!n) return undefined;
  const target = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const b of Object.keys(h)
    .map(Number)
    .sort((x, y) => x - y)) {
    const c = h[b];
    if (seen + c >= target) {
      const [lo, hi] = bounds(b);
      const frac = (target - seen - 0.5) / c;
      return lo === 0 ? hi * frac : lo * (hi / lo) ** frac;
    }
    seen += c;
  }
  return undefined;
}
