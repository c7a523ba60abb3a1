import type { GpuDevice } from './inventory.js';
import { formatMemory } from './size.js';

export type PlacementResult = { ok: true; gpus: number[] } | { ok: false; reason: string };

/** How fractional replicas are packed onto a server's GPUs: fullest GPU that fits first, or emptiest first. */
export type PackingPolicy = 'binpack' | 'spread';
export const PACKING_POLICIES: readonly PackingPolicy[] = ['binpack', 'spread'];

/** What one live replica holds: whole GPUs, or (`memoryMb` set) that much memory on its one GPU `gpus[0]`. */
export interface GpuHold {
  replicaId: string;
  gpus: readonly number[];
  memoryMb?: number;
}

/** What a replica needs: `gpuCount` whole GPUs of `gpuType`, or (`memoryMb` set) that much memory on one of them. */
export interface ReplicaNeed {
  gpuType: string;
  gpuCount: number;
  memoryMb?: number;
}

/** One GPU as placement sees it: its memory, what is used, who holds it. */
export interface GpuUsage {
  index: number;
  type: string;
  memoryMb: number;
  /** held whole by one replica (its memory is all used) */
  whole: boolean;
  usedMb: number;
  freeMb: number;
  replicas: string[];
}

/** Each GPU with the replicas on it (a whole holder, or the fractional replicas sharing it). */
export function gpuUsage(devices: readonly GpuDevice[], holds: readonly GpuHold[]): GpuUsage[] {
  const byGpu = new Map<number, GpuHold[]>();
  for (const h of holds) for (const g of h.gpus) byGpu.get(g)?.push(h) ?? byGpu.set(g, [h]);
  return devices.map((d) => {
    const on = byGpu.get(d.index) ?? [];
    const whole = on.some((h) => h.memoryMb === undefined);
    const usedMb = whole ? d.memoryMb : on.reduce((s, h) => s + (h.memoryMb ?? 0), 0);
    return {
      index: d.index,
      type: d.type,
      memoryMb: d.memoryMb,
      whole,
      usedMb,
      freeMb: Math.max(0, d.memoryMb - usedMb),
      replicas: on.map((h) => h.replicaId),
    };
  });
}

/**
 * Pure placement of one replica on this machine's GPUs. Whole-GPU replicas take the lowest indices of
 * GPUs nothing holds (neither whole nor in part). Fractional replicas go on one GPU with room for their
 * memory: `binpack` takes the GPU left with the least free memory after placing (best fit), so shared GPUs
 * fill before an empty one is broken into and whole GPUs stay free for multi-GPU replicas; `spread` takes
 * the GPU with the most free memory. When nothing fits, the reason names the numbers.
 */
export function placeOnGpus(devices: readonly GpuDevice[], holds: readonly GpuHold[], need: ReplicaNeed, policy: PackingPolicy = 'binpack'): PlacementResult {
  const ofType = gpuUsage(
    devices.filter((d) => d.type === need.gpuType),
    holds,
  );
  if (ofType.length === 0) {
    const types = [...new Set(devices.map((d) => d.type))];
    return { ok: false, reason: `no ${need.gpuType} GPU on this machine (has: ${types.join(', ') || 'none'})` };
  }
  if (need.memoryMb === undefined) {
    const free = ofType.filter((g) => g.replicas.length === 0).map((g) => g.index);
    if (free.length >= need.gpuCount) return { ok: true, gpus: free.slice(0, need.gpuCount) };
    const shared = ofType.filter((g) => !g.whole && g.replicas.length > 0).length;
    const note = shared ? ` (${shared} shared by fractional replicas)` : '';
    return { ok: false, reason: `needs ${need.gpuCount} x ${need.gpuType}, ${free.length} free${note}` };
  }
  const want = need.memoryMb;
  const largest = Math.max(...ofType.map((g) => g.memoryMb));
  if (largest <= 0)
    return {
      ok: false,
      reason: `needs ${formatMemory(want)} on one ${need.gpuType}, but the memory of its GPUs is unknown (virtual GPUs: --virtual-gpu-memory)`,
    };
  const fits = ofType.filter((g) => !g.whole && g.freeMb >= want);
  if (fits.length === 0) {
    const most = Math.max(0, ...ofType.filter((g) => !g.whole).map((g) => g.freeMb));
    return { ok: false, reason: `needs ${formatMemory(want)} on one ${need.gpuType}; the most free on any is ${formatMemory(most)}` };
  }
  const sign = policy === 'binpack' ? 1 : -1;
  fits.sort((a, b) => sign * (a.freeMb - b.freeMb) || a.index - b.index);
  return { ok: true, gpus: [fits[0].index] };
}

/** Whole-GPU placement with the indices taken as a set (callers without fractional replicas). */
export function placeReplica(devices: readonly GpuDevice[], held: ReadonlySet<number>, gpuType: string, count: number): PlacementResult {
  return placeOnGpus(
    devices,
    [...held].map((g) => ({ replicaId: '', gpus: [g] })),
    { gpuType, gpuCount: count },
  );
}

/** The memory of the GPUs of a type (the largest of them; 0 when unknown or none). */
export function typeMemoryMb(devices: readonly GpuDevice[], gpuType: string): number {
  return Math.max(0, ...devices.filter((g) => g.type === gpuType).map((g) => g.memoryMb));
}

/** What one replica of a deployment counts toward its GPU quota: its GPUs, or its memory's share of one GPU. */
export function gpusPerReplica(d: { gpuCount: number; gpuMemoryMb?: number | null }, typeMemoryMb: number): number {
  if (!d.gpuMemoryMb) return d.gpuCount;
  return typeMemoryMb > 0 ? Math.min(1, d.gpuMemoryMb / typeMemoryMb) : 1;
}

export interface QuotaCheck {
  gpuType: string;
  /** the explicit quota, or undefined to be bounded by the inventory alone */
  quota: number | undefined;
  inventory: number;
  /** GPUs of this type wanted by all other deployments (their gpuCount x desired replicas) */
  usedByOthers: number;
  /** GPUs the deployment would want after the change */
  wanted: number;
}

const gpus = (n: number) => Number(n.toFixed(2));

/** Returns undefined when allowed, or a message naming the numbers. */
export function quotaViolation(q: QuotaCheck): string | undefined {
  const limit = q.quota ?? q.inventory;
  const total = q.usedByOthers + q.wanted;
  if (total <= limit + 1e-9) return undefined;
  const what = q.quota === undefined ? `the ${q.inventory} ${q.gpuType} GPUs of this machine (no quota set)` : `the ${q.gpuType} GPU quota of ${q.quota}`;
  return `would use ${gpus(total)} ${q.gpuType} GPUs (${gpus(q.wanted)} for this deployment + ${gpus(q.usedByOthers)} in use), above ${what}`;
}

/** The most replicas of `gpuCount` GPUs (a fraction for fractional replicas) that fit the quota. */
export function maxReplicasWithinQuota(q: Omit<QuotaCheck, 'wanted'>, gpuCount: number): number {
  const limit = q.quota ?? q.inventory;
  return Math.max(0, Math.floor((limit - q.usedByOthers) / gpuCount + 1e-9));
}

/**
 * The most replicas of `gpuCount` GPUs a deployment may have (the autoscaler's placeable bound): within the
 * quota (or the inventory) less what other deployments use, and never more than the inventory holds; with
 * the numbers behind it, in words.
 */
export function placeableReplicas(q: Omit<QuotaCheck, 'wanted'>, gpuCount: number): { replicas: number; why: string } {
  const replicas = Math.min(maxReplicasWithinQuota(q, gpuCount), Math.floor(q.inventory / gpuCount + 1e-9));
  const bound =
    q.quota === undefined
      ? `the ${q.inventory} ${q.gpuType} GPUs of this machine (no quota set)`
      : `the ${q.gpuType} GPU quota of ${q.quota} (${q.inventory} GPUs here)`;
  return { replicas, why: `${bound}, ${gpus(q.usedByOthers)} in use by other deployments, place at most ${replicas} of ${gpus(gpuCount)} GPUs each` };
}
