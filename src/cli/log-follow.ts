/**
 * `logs -f` by polling: the API answers the last lines of a replica's log, so each poll is a tail window and
 * what is new is what follows, in the new window, the last lines printed. Pure.
 */

/** How many of the last printed lines identify where the new window picks up. */
const ANCHOR = 50;

/**
 * The lines of `next` (a later tail of the same log) after the end of `prev`. The last lines of `prev` are
 * looked for as a block in `next` (its last occurrence); when they are not all there, `next` may begin inside
 * them (the window slid past the older ones); when it does not either (the log was rotated, or more lines were
 * written than one window holds) every line of `next` is new.
 */
export function newLines(prev: readonly string[], next: readonly string[]): string[] {
  const m = Math.min(prev.length, ANCHOR);
  if (m === 0) return [...next];
  const anchor = prev.slice(prev.length - m);
  for (let end = next.length; end >= m; end--) {
    let same = true;
    for (let i = 0; i < m && same; i++) same = next[end - m + i] === anchor[i];
    if (same) return next.slice(end);
  }
  for (let k = Math.min(m, next.length) - 1; k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = next[i] === prev[prev.length - k + i];
    if (same) return next.slice(k);
  }
  return [...next];
}
