/**
 * Sleeping replicas, as decisions on plain data: which sleeper wakes when a deployment needs a replica, and
 * which sleepers stop when the server's host-RAM budget for sleepers is exceeded (least recently slept first).
 * A sleeper holds no GPU in placement, but its process stays bound to the GPUs it ran on (CUDA_VISIBLE_DEVICES):
 * it can wake only while they are free; one whose GPUs were given to others is stopped and replaced by a cold start.
 */
import { totalmem } from 'node:os';

/** the share of this machine's RAM that sleeping replicas may hold when `server --sleep-ram` is not given */
export const DEFAULT_SLEEP_RAM_SHARE = 0.5;

export function defaultSleepRamBytes(total = totalmem()): number {
  return Math.floor(total * DEFAULT_SLEEP_RAM_SHARE);
}

export interface Sleeper {
  id: string;
  /** when it went to sleep */
  sleptAt: number;
  /** host RAM its weights take while asleep (0 where the engine did not say) */
  ramBytes: number;
  /** the GPUs its process is bound to */
  gpus: readonly number[];
}

/** The sleepers to stop so that the rest fit in `budgetBytes`: the least recently slept first. */
export function evictForRam<S extends Sleeper>(sleepers: readonly S[], budgetBytes: number): S[] {
  let total = sleepers.reduce((a, s) => a + s.ramBytes, 0);
  const out: S[] = [];
  for (const s of [...sleepers].sort((a, b) => a.sleptAt - b.sleptAt || (a.id < b.id ? -1 : 1))) {
    if (total <= budgetBytes) break;
    out.push(s);
    total -= s.ramBytes;
  }
  return out;
}

/**
 * Up to `want` sleepers of one deployment to wake: the most recently slept first (warmest page cache), among
 * those whose GPUs no running replica holds (`held`, GPUs taken meanwhile by wakes chosen here too). `blocked`:
 * sleepers whose GPUs another replica holds now, which can never wake there.
 */
export function pickWakes<S extends Sleeper>(sleepers: readonly S[], held: ReadonlySet<number>, want: number): { wake: S[]; blocked: S[] } {
  const taken = new Set(held);
  const wake: S[] = [];
  const blocked: S[] = [];
  for (const s of [...sleepers].sort((a, b) => b.sleptAt - a.sleptAt || (a.id < b.id ? -1 : 1))) {
    if (s.gpus.some((g) => taken.has(g))) {
      if (s.gpus.some((g) => held.has(g))) blocked.push(s);
      continue;
    }
    if (wake.length >= want) continue;
    wake.push(s);
    for (const g of s.gpus) taken.add(g);
  }
  return { wake, blocked };
}
