/**
 * Cold start = from "replica wanted" to "replica ready" (placement, node scale-up, image and model
 * download, weight loading, warm-up). The policy pre-warms that far ahead, so the estimate is the median
 * of the last few measured starts: robust to one start that waited for a new node.
 */
export const COLD_START_SAMPLES = 10;

/** Median of the last 10 valid durations (oldest first), or `fallbackMs` when there is none. */
export function estimateColdStartMs(durationsMs: readonly number[], fallbackMs: number): number {
  const valid = durationsMs.filter((d) => Number.isFinite(d) && d >= 0).slice(-COLD_START_SAMPLES);
  if (!valid.length) return fallbackMs;
  const sorted = [...valid].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
