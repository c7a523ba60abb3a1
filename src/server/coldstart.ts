/** Median of recent measured cold starts in seconds, or a default before any was measured. */
export function estimateColdStartSeconds(recentMs: readonly number[], fallbackSeconds = 30): number {
  if (!recentMs.length) return fallbackSeconds;
  const s = [...recentMs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return Math.max(1, median / 1000);
}
