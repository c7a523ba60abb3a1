/** Commander argument parsers for times: durations ("90s", "5m", "1h30m"), a bare integer meaning seconds. */
import { parseDuration } from '../autoscaler/units.js';
import { ApiError } from './client.js';

/** A parser for `--NAME <duration>` that yields milliseconds; "600" is 600 s, as before durations were taken. */
export function durationMs(name: string) {
  return (v: string): number => {
    if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
    try {
      return parseDuration(v, name);
    } catch (e) {
      throw new ApiError(400, 'invalid_argument', (e as Error).message);
    }
  };
}

/** "5m", "1h30m", "45s": how a timeout in milliseconds is shown back to the user. */
export function showDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s % 60 || s === 0 ? `${s % 60}s` : ''];
  return parts.join('');
}
