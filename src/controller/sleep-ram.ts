/**
 * The host RAM of a replica put to sleep: what its provider is told to estimate it from (the stored model it
 * loaded, the GPU memory it held) and how the figure is said in its event.
 */
import type { DeploymentRow } from '../store/store.js';
import type { ReplicaProvider, SleepHint, SleepResult } from '../providers/types.js';
import { replicaGpuMemoryMb } from '../placement/sleeper-placement.js';
import type { ReplicaStartOptions } from './replica-start.js';

const MiB = 2 ** 20;

/** The stored model the replica loaded (where its provider loads stored files) and the GPU memory it held awake. */
export function sleepHint(
  o: Pick<ReplicaStartOptions, 'inventory' | 'modelPath'>,
  d: DeploymentRow,
  provider: ReplicaProvider,
  gpus: readonly number[],
): SleepHint {
  let modelPath: string | undefined;
  if (provider.capabilities.model === 'stored-file') {
    try {
      modelPath = o.modelPath?.(d);
    } catch {
      // a model that cannot be served now (deleted meanwhile): the GPU memory is the estimate left
    }
  }
  const gpuMemoryBytes = replicaGpuMemoryMb(o.inventory, gpus, d.gpuMemoryMb ?? undefined) * MiB;
  return { ...(modelPath ? { modelPath } : {}), ...(gpuMemoryBytes > 0 ? { gpuMemoryBytes } : {}) };
}

const FROM: Record<NonNullable<SleepResult['hostRamFrom']>, string> = {
  engine: 'as its engine reports',
  'model-weights': "estimated: the stored model's weight files",
  'gpu-memory': 'at most: estimated from the GPU memory it held',
};

/** "12.0 GiB of host RAM, estimated: the stored model's weight files", for the sleep event (MiB below 1 GiB). */
export function sleptRamNote(r: SleepResult): string {
  if (r.hostRamBytes === undefined) return 'host RAM unknown (neither the engine nor an estimate says): counted as 0';
  return `${formatRam(r.hostRamBytes)} of host RAM, ${FROM[r.hostRamFrom ?? 'engine']}`;
}

/** 12.0 GiB, or MiB below 1 GiB (a small model's weights, a test's budget). */
export function formatRam(bytes: number): string {
  return bytes > 0 && bytes < 2 ** 30 ? `${(bytes / MiB).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
