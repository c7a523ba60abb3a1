/**
 * `logs?since=10m`: which of a replica's log lines fall in the window. Pure: the lines, when the replica
 * started and the cutoff in, the kept lines out.
 *
 * Engines write their own text: a line that begins with an RFC 3339 time (the simulated engine's, Kubernetes'
 * timestamps, many engines' loggers) is dated by it; a line without one takes the date of the line before it
 * (a continuation, a stack trace), and the lines before the first dated one take the replica's start. So an
 * engine that stamps no line shows all its lines when it started in the window, none otherwise.
 */
const STAMP = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/;

export function linesSince(lines: readonly string[], startedAt: number, cutoff: number): string[] {
  let at = startedAt;
  const out: string[] = [];
  for (const line of lines) {
    const m = STAMP.exec(line);
    if (m) {
      const t = Date.parse(m[1].replace(' ', 'T'));
      if (Number.isFinite(t)) at = t;
    }
    if (at >= cutoff) out.push(line);
  }
  return out;
}
