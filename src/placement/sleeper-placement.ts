/**
 * Placement beside sleeping replicas, pure. A sleeper holds no GPU of its own in the store, but its process
 * stays bound to the GPUs it ran on (CUDA_VISIBLE_DEVICES) and a real engine keeps its CUDA context and some
 * memory there: it can wake only where its share is still free. So a new replica goes where every sleeper
 * stays wakeable (its whole GPUs untouched, its memory on a shared GPU left free) when it fits there; only when
 * it fits nowhere else are sleepers stopped to make room, least recently slept first and only as many as the
 * placement needs. A sleeper's residual GPU memory (the CUDA context a real engine keeps while asleep) is
 * inside the share reserved for it, so it is never handed to another replica while that sleeper lives.
 */
import { gpuUsage, placeOnGpus, type GpuHold, type PackingPolicy, type ReplicaNeed } from './placement.js';
import type { GpuDevice } from './inventory.js';

/** A sleeping replica as placement sees it: the GPUs its process is bound to, its share of them, when it slept. */
export interface SleeperBinding extends GpuHold {
  sleptAt: number;
}

export type SleeperAwarePlacement =
  | {
      ok: true;
      gpus: number[];
      /** sleepers to stop before the replica starts there (empty: every sleeper stays wakeable) */
      evict: SleeperBinding[];
      /** why those sleepers stop, in words ('' when none does) */
      reason: string;
    }
  | { ok: false; reason: string };

const byOldestSleep = (a: SleeperBinding, b: SleeperBinding) => a.sleptAt - b.sleptAt || (a.replicaId < b.replicaId ? -1 : 1);

/**
 * Places one replica beside the sleepers: where all of them stay wakeable if it fits there; else on room that
 * sleepers are bound to, stopping the fewest of them, least recently slept first (`evict`); else not at all,
 * with the reason of a placement that ignores sleepers (no sleeper's room would help). `now` dates the
 * sleepers in the reason.
 */
export function placeBesideSleepers(
  devices: readonly GpuDevice[],
  holds: readonly GpuHold[],
  sleepers: readonly SleeperBinding[],
  need: ReplicaNeed,
  policy: PackingPolicy,
  now: number,
): SleeperAwarePlacement {
  const keeping = (kept: readonly SleeperBinding[]) => placeOnGpus(devices, [...holds, ...kept], need, policy);
  const all = keeping(sleepers);
  if (all.ok) return { ok: true, gpus: all.gpus, evict: [], reason: '' };
  const bare = keeping([]);
  if (!bare.ok) return bare;
  const lru = [...sleepers].sort(byOldestSleep);
  // the shortest prefix of the least recently slept whose room is enough (all of them is: `bare` placed)
  let evicted: SleeperBinding[] = [];
  let placed = bare;
  for (const s of lru) {
    evicted.push(s);
    const p = keeping(lru.filter((x) => !evicted.includes(x)));
    if (p.ok) {
      placed = p;
      break;
    }
  }
  // then keep each of them, most recently slept first, whose room the placement turns out not to need
  for (const s of [...evicted].reverse()) {
    const fewer = evicted.filter((x) => x !== s);
    const p = keeping(lru.filter((x) => !fewer.includes(x)));
    if (p.ok) {
      evicted = fewer;
      placed = p;
    }
  }
  const names = evicted.map((s) => `${s.replicaId} (asleep ${Math.max(0, Math.round((now - s.sleptAt) / 1000))} s)`);
  const where = `GPU${placed.gpus.length > 1 ? 's' : ''} ${placed.gpus.join(',')}`;
  return {
    ok: true,
    gpus: placed.gpus,
    evict: evicted.sort(byOldestSleep),
    reason: `room only on ${where}, held by sleeping replicas: stopping the least recently used ${names.join(', ')}`,
  };
}

/**
 * Whether a sleeper can wake where its process is bound, beside `holds`: none of its whole GPUs held by
 * anyone, or its memory free on its one shared GPU. A GPU not in the inventory has no room.
 */
export function roomToWake(devices: readonly GpuDevice[], holds: readonly GpuHold[], s: GpuHold): boolean {
  const usage = gpuUsage(
    devices.filter((d) => s.gpus.includes(d.index)),
    holds,
  );
  if (usage.length < s.gpus.length) return false;
  if (s.memoryMb === undefined) return usage.every((g) => g.replicas.length === 0);
  return usage.every((g) => !g.whole && g.freeMb >= (s.memoryMb ?? 0));
}

/** The GPU memory a replica holds awake, MiB: its share of one GPU, or all the memory of its whole GPUs (0: unknown). */
export function replicaGpuMemoryMb(devices: readonly GpuDevice[], gpus: readonly number[], shareMb: number | undefined): number {
  if (shareMb) return shareMb;
  return devices.filter((d) => gpus.includes(d.index)).reduce((s, d) => s + d.memoryMb, 0);
}
