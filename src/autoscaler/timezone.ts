/**
 * Wall-clock time in an IANA time zone, through Intl (no tz database of our own). Offsets are cached per
 * quarter hour (every real zone changes offset only on a quarter-hour boundary), so a policy asked every
 * second, or a simulator replaying a month, does not format dates on every call.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();
const QUARTER_HOUR = 900_000;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** true for names Intl knows ("UTC", "Europe/Zurich"); false otherwise. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function computeOffset(at: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** Local time minus UTC at instant `at`, ms (Europe/Zurich: 3,600,000 in winter, 7,200,000 in summer). */
export function tzOffsetMs(at: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  let cache = offsetCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const key = Math.floor(at / QUARTER_HOUR);
  let off = cache.get(key);
  if (off === undefined) {
    off = computeOffset(key * QUARTER_HOUR, timeZone);
    if (cache.size > 50_000) cache.clear();
    cache.set(key, off);
  }
  return off;
}

export interface LocalTime {
  /** 0 = Sunday */
  day: number;
  /** minutes after local midnight */
  minute: number;
}

/** Day of week and minute of day at `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): LocalTime {
  const d = new Date(at + tzOffsetMs(at, timeZone));
  return { day: d.getUTCDay(), minute: d.getUTCHours() * 60 + d.getUTCMinutes() };
}
