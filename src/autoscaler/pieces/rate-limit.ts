/**
 * Scale rate limits from the timestamps of past changes (HPA's `scaleUpEvents`/`scaleDownEvents`):
 * "at most N replicas added per period" holds however often the policy is asked.
 */
export interface ScaleEvent {
  at: number;
  /** replicas added (or removed, for down events), > 0 */
  count: number;
}

/** Replicas changed by the events in (now - periodMs, now]. */
export function changedWithin(events: readonly ScaleEvent[], now: number, periodMs: number): number {
  let sum = 0;
  for (const e of events) if (e.at > now - periodMs && e.at <= now) sum += e.count;
  return sum;
}

/** Appends an event when `count > 0` and forgets those older than `keepMs`. Returns a new array. */
export function recordScaleEvent(events: readonly ScaleEvent[], now: number, count: number, keepMs: number): ScaleEvent[] {
  const out = events.filter((e) => e.at > now - keepMs);
  if (count > 0) out.push({ at: now, count });
  return out;
}

export interface UpLimit {
  desired: number;
  /** true when the limit lowered `desired` */
  limited: boolean;
  /** how many more may still be added in this period */
  allowance: number;
}

/**
 * Limits a scale-up from `current` to `desired` so that at most `perPeriod` replicas are added in any
 * `periodMs` (default one minute). Scale-downs pass through.
 */
export function limitScaleUp(current: number, desired: number, events: readonly ScaleEvent[], now: number, perPeriod: number, periodMs = 60_000): UpLimit {
  const allowance = Math.max(0, Math.floor(perPeriod - changedWithin(events, now, periodMs)));
  if (desired <= current) return { desired, limited: false, allowance };
  const cap = current + allowance;
  return desired > cap ? { desired: cap, limited: true, allowance } : { desired, limited: false, allowance };
}
