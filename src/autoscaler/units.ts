/**
 * Durations and rates as people type them ("2s", "500ms", "5m", "1h30m"; "4/min", "1/s") and back.
 * Errors are `invalid(field, ...)` so the CLI and the API report the flag or field that was wrong.
 */
import { invalid } from '../core/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2s" | "500ms" | "5m" | "1h" | "1h30m" | "0" -> milliseconds. A bare number other than 0 is ambiguous. */
export function parseDuration(text: string, field = 'duration'): number {
  const s = String(text).trim().toLowerCase();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) {
      throw invalid(field, `"${text}" is not a duration; write e.g. 500ms, 2s, 5m, 1h or 1h30m`);
    }
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  if (s.length === 0) throw invalid(field, 'empty duration');
  return Math.round(total);
}

/** "4/min" | "1/s" | "30/h" | "4" (per minute) -> events per minute. */
export function parseRate(text: string, field = 'rate'): number {
  const s = String(text).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(ms|s|sec|second|m|min|minute|h|hour))?$/.exec(s);
  if (!m) throw invalid(field, `"${text}" is not a rate; write e.g. 4/min or 1/s`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'min';
  const perMinute: Record<string, number> = {
    ms: 60_000,
    s: 60,
    sec: 60,
    second: 60,
    m: 1,
    min: 1,
    minute: 1,
    h: 1 / 60,
    hour: 1 / 60,
  };
  return n * perMinute[unit];
}

/** 300000 -> "5m", 1500 -> "1.5s", 5400000 -> "1h30m", 0 -> "0s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const sec = rest - m * 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (sec) parts.push(`${sec}s`);
  return parts.join('');
}

/** 4 -> "4/min", 60 -> "1/s" */
export function formatRate(perMinute: number): string {
  if (perMinute >= 60 && Number.isInteger(perMinute / 60)) return `${perMinute / 60}/s`;
  return `${Number(perMinute.toFixed(3))}/min`;
}

/** Rounds for display in reasons: 7.2345 -> "7.23", 4 -> "4". */
export function num(x: number, digits = 2): string {
  return String(Number(x.toFixed(digits)));
}
