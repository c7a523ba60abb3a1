/**
 * What a pool replay tells one deployment's simulation (the pool's verdicts, fed back): when its sleepers
 * were evicted (host RAM needed for newer sleepers elsewhere) and when its replica starts had to wait for
 * room on a GPU. All times are trace ms from the start. The simulation applies them through two small hooks
 * of its replica set (see PoolVerdicts below); the fixed-point loop that produces them is feedback.ts.
 */

export interface PoolConstraints {
  /** times at which this deployment's newest sleeper (if it has one then) was evicted: it stops */
  evictAt: readonly number[];
  /**
   * windows [from, until) in which the pool had no room for one more replica of this deployment: a start
   * in a window waits (pending) until its end before it loads; sorted by `from`
   */
  pending: ReadonlyArray<readonly [number, number]>;
}

export const NO_CONSTRAINTS: PoolConstraints = Object.freeze({ evictAt: [], pending: [] });

/** Whether two sets of constraints are the same (the fixed point's test). */
export function sameConstraints(a: PoolConstraints, b: PoolConstraints): boolean {
  if (a.evictAt.length !== b.evictAt.length || a.pending.length !== b.pending.length) return false;
  for (let i = 0; i < a.evictAt.length; i++) if (a.evictAt[i] !== b.evictAt[i]) return false;
  for (let i = 0; i < a.pending.length; i++) if (a.pending[i][0] !== b.pending[i][0] || a.pending[i][1] !== b.pending[i][1]) return false;
  return true;
}

/**
 * The constraints as the replica set applies them, in time order: `startAt(t)` is when a replica asked for
 * at `t` can start loading (t, or the end of the pending window it falls in), `evictionsUntil(t)` how many
 * evictions are due up to `t` that were not yet taken (each taken once, in order).
 */
export class PoolVerdicts {
  private nextEvict = 0;

  constructor(private readonly c: PoolConstraints) {}

  startAt(t: number): number {
    const p = this.c.pending;
    // the windows start in order; any of those begun by t may still be open (they overlap when several
    // replicas waited at once): the latest end among the open ones
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid][0] <= t) lo = mid + 1;
      else hi = mid;
    }
    let at = t;
    for (let i = 0; i < lo; i++) if (p[i][1] > at && p[i][0] <= t) at = Math.max(at, p[i][1]);
    return at;
  }

  /** The due evictions up to `t`, each with its time, taken from the list. */
  takeEvictions(t: number): number[] {
    const out: number[] = [];
    const e = this.c.evictAt;
    while (this.nextEvict < e.length && e[this.nextEvict] <= t) out.push(e[this.nextEvict++]);
    return out;
  }
}
