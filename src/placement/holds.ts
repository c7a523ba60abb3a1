/** What the live replicas hold on this machine's GPUs, read from the store (the input of placement). */
import type { Store } from '../store/store.js';
import { gpuUsage, type GpuHold, type GpuUsage } from './placement.js';
import type { GpuDevice } from './inventory.js';
import type { SleeperBinding } from './sleeper-placement.js';

/** The memory each replica of a deployment needs on one GPU (undefined: whole GPUs), read once per deployment. */
function memoryByDeployment(store: Store): (deploymentId: string) => number | undefined {
  const memory = new Map<string, number | undefined>();
  return (id) => {
    if (!memory.has(id)) memory.set(id, store.getDeployment(id)?.gpuMemoryMb ?? undefined);
    return memory.get(id);
  };
}

const holdOf = (r: { id: string; gpus: number[] }, mb: number | undefined): GpuHold =>
  mb ? { replicaId: r.id, gpus: r.gpus, memoryMb: mb } : { replicaId: r.id, gpus: r.gpus };

/** What each live replica holds: whole GPUs, or its deployment's memory on its one GPU. */
export function gpuHolds(store: Store): GpuHold[] {
  const memoryOf = memoryByDeployment(store);
  return store
    .listLiveReplicas()
    .filter((r) => r.gpus.length > 0)
    .map((r) => holdOf(r, memoryOf(r.deploymentId)));
}

/** Every sleeping replica bound to GPUs of this machine: its GPUs, its share of them, when it slept. */
export function sleeperBindings(store: Store): SleeperBinding[] {
  const memoryOf = memoryByDeployment(store);
  return store
    .listDeployments()
    .flatMap((d) => store.listReplicas(d.id, ['sleeping']))
    .filter((r) => r.gpus.length > 0)
    .map((r) => ({ ...holdOf(r, memoryOf(r.deploymentId)), sleptAt: r.sleptAt ?? 0 }));
}

/**
 * Each GPU of the inventory with its memory in use, the replicas on it, and the sleeping replicas bound to it
 * (they hold none of its memory, but placement keeps their room while another GPU fits: the API's /gpus,
 * `limits gpu`, the dashboard's GPU page).
 */
export function gpuReport(
  inventory: readonly GpuDevice[],
  store: Store,
): Array<GpuDevice & Omit<GpuUsage, 'index' | 'type' | 'memoryMb'> & { heldBy: string | null; sleepers: string[] }> {
  const usage = gpuUsage(inventory, gpuHolds(store));
  const asleep = sleeperBindings(store);
  return inventory.map((g, i) => {
    const { whole, usedMb, freeMb, replicas } = usage[i];
    const sleepers = asleep.filter((s) => s.gpus.includes(g.index)).map((s) => s.replicaId);
    return { ...g, heldBy: replicas[0] ?? null, whole, usedMb, freeMb, replicas, sleepers };
  });
}
