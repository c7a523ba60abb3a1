import type { GpuDevice } from './inventory.js';

export type PlacementResult = { ok: true; gpus: number[] } | { ok: false; reason: string };

/**
 * Pure placement: `count` free GPUs of `gpuType`, lowest indices first (packs, leaving whole blocks free
 * for bigger replicas). `held` holds the indices already taken by live replicas.
 */
export function placeReplica(devices: readonly GpuDevice[], held: ReadonlySet<number>, gpuType: string, count: number): PlacementResult {
  const ofType = devices.filter((d) => d.type === gpuType);
  if (ofType.length === 0) {
    const types = [...new Set(devices.map((d) => d.type))];
    return { ok: false, reason: `no ${gpuType} GPU on this machine (has: ${types.join(', ') || 'none'})` };
  }
  const free = ofType.filter((d) => !held.has(d.index)).map((d) => d.index);
  if (free.length < count) return { ok: false, reason: `needs ${count} x ${gpuType}, ${free.length} free` };
  return { ok: true, gpus: free.slice(0, count) };
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

/** Returns undefined when allowed, or a message naming the numbers. */
export function quotaViolation(q: QuotaCheck): string | undefined {
  const limit = q.quota ?? q.inventory;
  const total = q.usedByOthers + q.wanted;
  if (total <= limit) return undefined;
  const what = q.quota === undefined ? `the ${q.inventory} ${q.gpuType} GPUs of this machine (no quota set)` : `the ${q.gpuType} GPU quota of ${q.quota}`;
  return `would use ${total} ${q.gpuType} GPUs (${q.wanted} for this deployment + ${q.usedByOthers} in use), above ${what}`;
}

/** The most replicas of `gpuCount` GPUs that fit the quota (for the autoscaler's placeable bound). */
export function maxReplicasWithinQuota(q: Omit<QuotaCheck, 'wanted'>, gpuCount: number): number {
  const limit = q.quota ?? q.inventory;
  return Math.max(0, Math.floor((limit - q.usedByOthers) / gpuCount));
}

/**
 * The most replicas of `gpuCount` GPUs a deployment may have (the autoscaler's placeable bound): within the
 * quota (or the inventory) less what other deployments use, and never more than the inventory holds; with
 * the numbers behind it, in words.
 */
export function placeableReplicas(q: Omit<QuotaCheck, 'wanted'>, gpuCount: number): { replicas: number; why: string } {
  const replicas = Math.min(maxReplicasWithinQuota(q, gpuCount), Math.floor(q.inventory / gpuCount));
  const bound =
    q.quota === undefined
      ? `the ${q.inventory} ${q.gpuType} GPUs of this machine (no quota set)`
      : `the ${q.gpuType} GPU quota of ${q.quota} (${q.inventory} GPUs here)`;
  return { replicas, why: `${bound}, ${q.usedByOthers} in use by other deployments, place at most ${replicas} of ${gpuCount} GPUs each` };
}
