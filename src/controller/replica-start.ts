/**
 * Creating and starting replicas: a new replica is a pending row; a pending one is placed (on this machine's
 * free GPUs, or by the platform where its provider places replicas itself) and started through its zone's
 * provider, which is handed what its capabilities say it takes (a stored model file or one the replica
 * fetches; an engine key or none).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { PodModel } from '../domain/pod-model.js';
import type { Replica } from '../domain/types.js';
import { engineDriver } from '../engines/registry.js';
import type { GpuDevice } from '../placement/inventory.js';
import { placeOnGpus, type PackingPolicy } from '../placement/placement.js';
import { gpuHolds } from '../placement/holds.js';
import type { ReplicaProvider } from '../providers/types.js';
import { formatMemory } from '../placement/size.js';
import type { DeploymentRow, ReplicaRow, Store } from '../store/store.js';

export interface ReplicaStartOptions {
  store: Store;
  clock: Clock;
  /** this machine's GPUs, where replicas of providers that place on local GPUs go */
  inventory: readonly GpuDevice[];
  /** how fractional replicas are packed onto the GPUs (default binpack) */
  packing?: PackingPolicy;
  /** a local replica's engine key (src/engines/engine-key.ts); absent: replicas take requests without one */
  engineKey?: (replicaId: string) => string;
  /** the stored model file a replica loads (model store); throws when the model cannot be served now */
  modelPath?: (d: DeploymentRow) => string | undefined;
  /** the model file a replica fetches itself (providers whose replicas fetch their model: pods); throws when they cannot */
  podModel?: (d: DeploymentRow) => PodModel | undefined;
}

/** Records a new pending replica of `d`. */
export function createReplica(store: Store, d: DeploymentRow, now: number): void {
  const r: Replica = {
    id: `${d.name}-${randomBytes(3).toString('hex')}`,
    deploymentId: d.id,
    state: 'pending',
    stateReason: 'waiting for placement',
    gpus: [],
    pid: null,
    port: null,
    generation: d.generation,
    createdAt: now,
    startedAt: null,
    readyAt: null,
    stoppedAt: null,
    coldStartMs: null,
    exitInfo: '',
  };
  store.insertReplica(r);
  store.addEvent(d.id, now, 'replica', `replica ${r.id} created (pending)`);
}

/** A fractional replica's share of the GPU it was placed on (undefined for whole GPUs or unknown memory). */
function shareOf(inventory: readonly GpuDevice[], d: DeploymentRow, gpus: number[]): { shareMb: number; totalMb: number } | undefined {
  const totalMb = inventory.find((g) => g.index === gpus[0])?.memoryMb ?? 0;
  return d.gpuMemoryMb && totalMb > 0 ? { shareMb: d.gpuMemoryMb, totalMb } : undefined;
}

/**
 * Places a pending replica and starts it. Each write happens only while `unchanged(r)` says its row is the
 * one read this pass. Short capacity leaves it pending with the reason in its row (an event once per reason).
 * Returns why the start failed (the caller fails the replica), undefined otherwise.
 */
export async function startReplica(
  o: ReplicaStartOptions,
  d: DeploymentRow,
  provider: ReplicaProvider,
  r: ReplicaRow,
  unchanged: (r: ReplicaRow) => boolean,
): Promise<string | undefined> {
  const { store, clock } = o;
  const caps = provider.capabilities;
  const placed =
    caps.placement === 'platform'
      ? { ok: true as const, gpus: [] as number[] }
      : placeOnGpus(o.inventory, gpuHolds(store), { gpuType: d.gpuType, gpuCount: d.gpuCount, memoryMb: d.gpuMemoryMb ?? undefined }, o.packing);
  if (!placed.ok) {
    if (r.stateReason !== placed.reason && unchanged(r)) {
      store.updateReplica(r.id, { stateReason: placed.reason });
      store.addEvent(d.id, clock.now(), 'replica', `replica ${r.id} pending: ${placed.reason}`);
    }
    return undefined;
  }
  if (!unchanged(r)) return undefined;
  const startedAt = clock.now();
  store.updateReplica(r.id, { state: 'starting', stateReason: 'starting engine', gpus: placed.gpus, startedAt });
  try {
    const h = await provider.start(
      r.id,
      d.name,
      engineDriver(d.engine),
      {
        modelName: d.modelName,
        modelPath: caps.model === 'stored-file' ? o.modelPath?.(d) : undefined,
        engineParams: d.engineParams,
        gpus: placed.gpus,
        gpuCount: d.gpuCount,
        gpuMemory: shareOf(o.inventory, d, placed.gpus),
        apiKey: caps.engineKey ? o.engineKey?.(r.id) : undefined,
        sleepMode: d.autoscale?.idle === 'sleep' && !!caps.sleep,
      },
      {
        zone: d.zone,
        gpuType: d.gpuType,
        drainTimeoutMs: d.drainTimeoutMs,
        labels: d.labels,
        model: caps.model === 'fetched-by-replica' ? o.podModel?.(d) : undefined,
        gpuMemoryMb: caps.placement === 'platform' ? (d.gpuMemoryMb ?? undefined) : undefined,
      },
    );
    store.updateReplica(r.id, { pid: h.pid, pidStart: h.pidStart ?? null, port: h.port, stateReason: 'loading model' });
    const share = d.gpuMemoryMb ? ` (${formatMemory(d.gpuMemoryMb)} of it)` : '';
    const where =
      caps.placement === 'platform'
        ? `in zone ${d.zone} (${d.gpuCount} x ${d.gpuType})`
        : `on GPU${placed.gpus.length > 1 ? 's' : ''} ${placed.gpus.join(',')}${share} (pid ${h.pid}, port ${h.port})`;
    store.addEvent(d.id, startedAt, 'replica', `replica ${r.id} starting ${where}`);
    return undefined;
  } catch (e) {
    return `could not start: ${(e as Error).message}`;
  }
}
