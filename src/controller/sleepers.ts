/**
 * Sleeping replicas, as decisions on plain data: which sleeper wakes when a deployment needs a replica, and
 * which sleepers stop when the server's host-RAM budget for sleepers is exceeded (least recently slept first).
 * A sleeper holds no GPU in the store, but its process stays bound to the GPUs it ran on (CUDA_VISIBLE_DEVICES):
 * placement keeps its room free (src/placement/sleeper-placement.ts) and stops it only when a pending replica
 * has no other room, so it can wake there.
 */
import { totalmem } from 'node:os';
import type { GpuDevice } from '../placement/inventory.js';
import type { GpuHold } from '../placement/placement.js';
import { roomToWake } from '../placement/sleeper-placement.js';

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
  /** a fractional replica: its share of its one GPU, MiB (absent: whole GPUs) */
  memoryMb?: number;
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
 * those with room where their process is bound, beside what live replicas hold (`holds`) and the wakes chosen
 * here (src/placement/sleeper-placement.ts, roomToWake). `blocked`: sleepers without room beside the live
 * replicas alone, which cannot wake there now (placement leaves a sleeper's room free, so only a sleeper left
 * by an older server or one whose GPU left the inventory is).
 */
export function pickWakes<S extends Sleeper>(
  sleepers: readonly S[],
  devices: readonly GpuDevice[],
  holds: readonly GpuHold[],
  want: number,
): { wake: S[]; blocked: S[] } {
  const taken: GpuHold[] = [...holds];
  const wake: S[] = [];
  const blocked: S[] = [];
  for (const s of [...sleepers].sort((a, b) => b.sleptAt - a.sleptAt || (a.id < b.id ? -1 : 1))) {
    const bound = { replicaId: s.id, gpus: s.gpus, ...(s.memoryMb ? { memoryMb: s.memoryMb } : {}) };
    if (!roomToWake(devices, taken, bound)) {
      if (!roomToWake(devices, holds, bound)) blocked.push(s);
      continue;
    }
    if (wake.length >= want) continue;
    wake.push(s);
    taken.push(bound);
  }
  return { wake, blocked };
}
