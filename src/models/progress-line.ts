/** The CLI's download progress as text: bytes, rate and ETA from two samples (pure; `now` passed in). */
import { formatBytes } from './view.js';

export interface ProgressSample {
  at: number;
  done: number;
}

/** "45s", "7m52s", "1h05m"; "?" when not finite. */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  return t >= 3600
    ? `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`
    : t >= 60
      ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`
      : `${t}s`;
}

/** e.g. "12.3 MiB of 1.91 GiB (0.6%), 4.10 MiB/s, ETA 7m52s", from the first sample of this run to now. */
export function progressLine(first: ProgressSample, now: ProgressSample, total: number | null): string {
  const secs = (now.at - first.at) / 1000;
  const rate = secs > 0 ? (now.done - first.done) / secs : 0;
  const head = total ? `${formatBytes(now.done)} of ${formatBytes(total)} (${((now.done / total) * 100).toFixed(1)}%)` : `${formatBytes(now.done)}`;
  if (secs <= 0) return head;
  const eta = total && rate > 0 ? `, ETA ${duration((total - now.done) / rate)}` : '';
  return `${head}, ${formatBytes(Math.round(rate))}/s${eta}`;
}
