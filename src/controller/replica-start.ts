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
import type { PackingPolicy } from '../placement/placement.js';
import { gpuHolds, sleeperBindings } from '../placement/holds.js';
import { placeBesideSleepers, type SleeperAwarePlacement, type SleeperBinding } from '../placement/sleeper-placement.js';
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
 * Stops sleeping replicas to make room for replica `forReplica` of `forDeployment` (`why`: the placement's
 * reason); resolves once they are stopped.
 */
export type StopSleepersForRoom = (sleepers: readonly SleeperBinding[], why: string, forReplica: string, forDeployment: string) => Promise<void>;

/** Where a pending replica of `d` goes on this machine's GPUs now, beside its sleepers (or by its platform). */
function placeNow(o: ReplicaStartOptions, d: DeploymentRow, provider: ReplicaProvider): SleeperAwarePlacement {
  if (provider.capabilities.placement === 'platform') return { ok: true, gpus: [], evict: [], reason: '' };
  const need = { gpuType: d.gpuType, gpuCount: d.gpuCount, memoryMb: d.gpuMemoryMb ?? undefined };
  return placeBesideSleepers(o.inventory, gpuHolds(o.store), sleeperBindings(o.store), need, o.packing ?? 'binpack', o.clock.now());
}

/**
 * Places a pending replica and starts it. Each write happens only while `unchanged(r)` says its row is the
 * one read this pass. Short capacity leaves it pending with the reason in its row (an event once per reason).
 * Where its only room is held by sleeping replicas, `stopSleepers` stops them first and the placement is made
 * again on what is left (plan, validate, execute): a pending replica is never left waiting on sleepers.
 * Returns why the start failed (the caller fails the replica), undefined otherwise.
 */
export async function startReplica(
  o: ReplicaStartOptions,
  d: DeploymentRow,
  provider: ReplicaProvider,
  r: ReplicaRow,
  unchanged: (r: ReplicaRow) => boolean,
  stopSleepers: StopSleepersForRoom,
): Promise<string | undefined> {
  const { store, clock } = o;
  const caps = provider.capabilities;
  let placed = placeNow(o, d, provider);
  if (!placed.ok) {
    if (r.stateReason !== placed.reason && unchanged(r)) {
      store.updateReplica(r.id, { stateReason: placed.reason });
      store.addEvent(d.id, clock.now(), 'replica', `replica ${r.id} pending: ${placed.reason}`);
    }
    return undefined;
  }
  const stoppedSleepers = placed.evict.map((s) => s.replicaId);
  if (placed.evict.length > 0) {
    if (!unchanged(r)) return undefined;
    await stopSleepers(placed.evict, placed.reason, r.id, d.name);
    // validated again on what is left: room that is not free now waits for the next pass
    placed = placeNow(o, d, provider);
    if (!placed.ok || placed.evict.length > 0) return undefined;
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
    const room = stoppedSleepers.length ? `, after stopping sleeping ${stoppedSleepers.join(', ')} for room` : '';
    const where =
      caps.placement === 'platform'
        ? `in zone ${d.zone} (${d.gpuCount} x ${d.gpuType})`
        : `on GPU${placed.gpus.length > 1 ? 's' : ''} ${placed.gpus.join(',')}${share} (pid ${h.pid}, port ${h.port}${room})`;
    store.addEvent(d.id, startedAt, 'replica', `replica ${r.id} starting ${where}`);
    return undefined;
  } catch (e) {
    return `could not start: ${(e as Error).message}`;
  }
}
