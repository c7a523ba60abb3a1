/** What the live replicas hold on this machine's GPUs, read from the store (the input of placement). */
import type { Store } from '../store/store.js';
import { gpuUsage, type GpuHold, type GpuUsage } from './placement.js';
import type { GpuDevice } from './inventory.js';

/** What each live replica holds: whole GPUs, or its deployment's memory on its one GPU. */
export function gpuHolds(store: Store): GpuHold[] {
  const memory = new Map<string, number | null>();
  const memoryOf = (id: string) => {
    if (!memory.has(id)) memory.set(id, store.getDeployment(id)?.gpuMemoryMb ?? null);
    return memory.get(id);
  };
  return store
    .listLiveReplicas()
    .filter((r) => r.gpus.length > 0)
    .map((r) => {
      const mb = memoryOf(r.deploymentId);
      return mb ? { replicaId: r.id, gpus: r.gpus, memoryMb: mb } : { replicaId: r.id, gpus: r.gpus };
    });
}

/** Each GPU of the inventory with its memory in use and the replicas on it (the API's /gpus, `limits gpu`). */
export function gpuReport(
  inventory: readonly GpuDevice[],
  store: Store,
): Array<GpuDevice & Omit<GpuUsage, 'index' | 'type' | 'memoryMb'> & { heldBy: string | null }> {
  const usage = gpuUsage(inventory, gpuHolds(store));
  return inventory.map((g, i) => {
    const { whole, usedMb, freeMb, replicas } = usage[i];
    return { ...g, heldBy: replicas[0] ?? null, whole, usedMb, freeMb, replicas };
  });
}
