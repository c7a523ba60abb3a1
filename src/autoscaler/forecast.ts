/**
 * Demand forecast from 5-minute DemandPoints, with daily and weekly seasonality.
 *
 * Method: seasonal naive blend, scaled by the recent level.
 *   seasonal(t) = mean of value(t - 7 d) and value(t - 14 d) where known (the same weekday: a Monday
 *                 morning follows last Monday, not Sunday), else value(t - 1 d) (the first week); lags are
 *                 taken at the same local wall-clock time, so 09:00 stays 09:00 across a daylight-saving
 *                 change.
 *   level      = ratio (actual + 1) / (seasonal + 1) and difference actual - seasonal, over the last 30 min
 *   forecast(t) = max(seasonal(t) * ratio, seasonal(t) + difference), within [0.5, 2] x seasonal(t):
 *                 growth scales the whole pattern, but a quieter background does not shrink a daily
 *                 burst that sits on top of it (a batch job's size does not follow the night's traffic)
 * Why not Holt-Winters: with two seasonal periods it needs double-seasonal smoothing (Taylor 2003), three
 * to four fitted smoothing constants and state that must survive restarts; a bad fit on a short or
 * irregular history silently over-provisions GPUs. The seasonal naive blend has no parameters to fit,
 * works from one day of history, is explainable in a reason string, and the level term absorbs growth
 * since last week (within 0.5x to 2x). Its use here is a floor for pre-warming
 * a cold start ahead, where the reactive terms correct any error within seconds.
 */
import { tzOffsetMs } from './timezone.js';
import type { DemandPoint } from './types.js';

export const DAY_MS = 86_400_000;
const _WEEK_MS = 7 * DAY_MS;

export interface ForecastOptions {
  /** seasonality in this zone's wall-clock time; default UTC */
  timeZone?: string;
  /** bucket length of the history; default 5 min */
  bucketMs?: number;
  /** end of the observed history, for the level term; default the end of the last point */
  now?: number;
  /** how far back the level term looks; default 30 min */
  levelWindowMs?: number;
  /** history needed before forecasting at all; default 23 h (about a day) */
  minHistoryMs?: number;
}

interface Resolved {
  tz: string;
  bucketMs: number;
}

/** The point whose bucket contains t, by binary search (history is oldest first). */
export function valueAt(history: readonly DemandPoint[], t: number, bucketMs: number): number | undefined {
  let lo = 0;
  let hi = history.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = history[mid];
    if (t < p.at) hi = mid - 1;
    else if (t >= p.at + bucketMs) lo = mid + 1;
    else return p.concurrency;
  }
  return undefined;
}

/** The instant `days` days before t at the same local wall-clock time. */
function sameLocalTime(t: number, days: number, tz: string): number {
  const back = t - days * DAY_MS;
  return back + (tzOffsetMs(t, tz) - tzOffsetMs(back, tz));
}

function seasonal(history: readonly DemandPoint[], t: number, r: Resolved): number | undefined {
  const lag = (days: number) => valueAt(history, sameLocalTime(t, days, r.tz), r.bucketMs);
  const weeks = [lag(7), lag(14)].filter((v): v is number => v !== undefined);
  if (weeks.length) return weeks.reduce((a, b) => a + b, 0) / weeks.length;
  return lag(1);
}

/** The recent level against the seasonal expectation: ratio (actual + 1) / (seasonal + 1) and difference. */
interface Level {
  ratio: number;
  diff: number;
}

function level(history: readonly DemandPoint[], now: number, windowMs: number, r: Resolved): Level {
  let actual = 0;
  let base = 0;
  let n = 0;
  for (let t = now - windowMs; t < now; t += r.bucketMs) {
    const a = valueAt(history, t, r.bucketMs);
    const b = a === undefined ? undefined : seasonal(history, t, r);
    if (a === undefined || b === undefined) continue;
    actual += a;
    base += b;
    n++;
  }
  if (!n) return { ratio: 1, diff: 0 };
  return { ratio: (actual / n + 1) / (base / n + 1), diff: (actual - base) / n };
}

/**
 * The seasonal value adjusted by the level: the larger of the scaled (growth in proportion) and the
 * shifted (a quieter or busier background, with bursts on top keeping their size) forecasts, kept
 * within [0.5, 2] times the seasonal value.
 */
function adjust(s: number, l: Level): number {
  return Math.min(2 * s, Math.max(0.5 * s, s * l.ratio, s + l.diff));
}

function resolve(history: readonly DemandPoint[], opts: ForecastOptions): (Resolved & { now: number }) | undefined {
  if (!history.length) return undefined;
  const bucketMs = opts.bucketMs ?? 5 * 60_000;
  const first = history[0].at;
  const end = history[history.length - 1].at + bucketMs;
  if (end - first < (opts.minHistoryMs ?? 23 * 3_600_000)) return undefined;
  return { tz: opts.timeZone ?? 'UTC', bucketMs, now: opts.now ?? end };
}

/**
 * Forecast average concurrency (ongoing + queued) at `at`; undefined with less than about a day of
 * history, or when no seasonal lag of `at` is known.
 */
export function forecastConcurrency(history: readonly DemandPoint[], at: number, opts: ForecastOptions = {}): number | undefined {
  const r = resolve(history, opts);
  if (!r) return undefined;
  const s = seasonal(history, at, r);
  if (s === undefined) return undefined;
  return adjust(s, level(history, r.now, opts.levelWindowMs ?? 30 * 60_000, r));
}

export interface ForecastPeak {
  concurrency: number;
  /** the start of the bucket with the peak */
  at: number;
}

/** The highest forecast over the buckets that overlap [from, to]; undefined when none can be forecast. */
export function forecastPeak(history: readonly DemandPoint[], from: number, to: number, opts: ForecastOptions = {}): ForecastPeak | undefined {
  const r = resolve(history, opts);
  if (!r) return undefined;
  const l = level(history, r.now, opts.levelWindowMs ?? 30 * 60_000, r);
  let best: ForecastPeak | undefined;
  for (let t = Math.floor(from / r.bucketMs) * r.bucketMs; t <= to; t += r.bucketMs) {
    const s = seasonal(history, t, r);
    if (s === undefined) continue;
    const c = adjust(s, l);
    if (!best || c > best.concurrency) best = { concurrency: c, at: t };
  }
  return best;
}
