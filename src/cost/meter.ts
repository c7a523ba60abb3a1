/**
 * GPU-second metering: pure functions over replica usage intervals. A replica is billed from the moment
 * it is placed and its process started (`startedAt`, when it takes its GPUs) to the moment it stopped and
 * gave them back (`stoppedAt`), to the millisecond: no rounding up, no minimum. A replica scaled away is
 * drained first (it still holds its GPUs and finishes its requests) and billing stops when it stops. A
 * pending replica (waiting for a GPU) holds nothing and costs nothing.
 */

export interface UsageInterval {
  startedAt: number | null;
  stoppedAt: number | null;
  /** GPUs the replica held (the deployment's gpuCount) */
  gpuCount: number;
}

/** GPU-seconds of one interval inside [sinceMs, now]; an open interval runs to `now`. */
export function intervalGpuSeconds(u: UsageInterval, now: number, sinceMs = -Infinity): number {
  if (u.startedAt === null) return 0;
  const from = Math.max(u.startedAt, sinceMs);
  const to = Math.min(u.stoppedAt ?? now, now);
  return to > from ? ((to - from) / 1000) * u.gpuCount : 0;
}

/** GPU-seconds of many intervals inside [sinceMs, now]. */
export function gpuSeconds(usage: readonly UsageInterval[], now: number, sinceMs = -Infinity): number {
  let s = 0;
  for (const u of usage) s += intervalGpuSeconds(u, now, sinceMs);
  return s;
}

/** GPUs held at `now`: intervals started and not stopped. */
export function gpusHeld(usage: readonly UsageInterval[], now: number): number {
  let n = 0;
  for (const u of usage) if (u.startedAt !== null && u.startedAt <= now && (u.stoppedAt === null || u.stoppedAt > now)) n += u.gpuCount;
  return n;
}

/** USD for `gpuSecs` at `usdPerGpuHour`. */
export const usd = (gpuSecs: number, usdPerGpuHour: number): number => (gpuSecs / 3600) * usdPerGpuHour;

/**
 * Parses a `since` value: a duration back from now ("90s", "30m", "24h", "7d", "2w"), an ISO date, or
 * epoch milliseconds. Returns ms since the epoch, or undefined when it is not one of those.
 */
export function parseSince(v: string, now: number): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(v.trim());
  if (m) return now - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's']!;
  if (/^\d{10,}$/.test(v.trim())) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
