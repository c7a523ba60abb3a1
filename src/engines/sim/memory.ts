/**
 * The engine simulator keeps within a fractional replica's share of GPU memory as a real engine must: a
 * model larger than the share cannot load (a real one runs out of memory), so the replica fails to start.
 */

/** Why a model of `modelMemoryGib` cannot load in a share of `shareMib` (the env value), or undefined when it fits. */
export function memoryShortfall(modelMemoryGib: number, shareMib: string | undefined): string | undefined {
  if (!shareMib || modelMemoryGib <= 0) return undefined;
  const share = Number(shareMib);
  if (!Number.isFinite(share) || share <= 0) return undefined;
  const needMib = Math.round(modelMemoryGib * 1024);
  if (needMib <= share) return undefined;
  return `CUDA out of memory: the model needs ${needMib} MiB of GPU memory, this replica's share is ${share} MiB`;
}
