/**
 * What a replica does when it becomes the leader: the cluster's state (InferenceDeployment resources,
 * key Secrets, the settings ConfigMap, the pods) is the truth, and the leader's SQLite file is brought in
 * line with it before the controller starts. The new leader may have an empty file (a fresh pod) or a
 * stale one (it led before). Pods keep running through a failover: each live pod bound to a replica
 * becomes a replica row with that id, so the controller adopts it instead of starting another.
 *
 * `planRestore` is pure (plain data in, plain data out); `applyRestore` writes the plan.
 */
import type { DeploymentRow, ReplicaRow, Store } from '../store/store.js';
import { type CapacitySpec, DEFAULT_CAPACITY } from '../domain/capacity.js';
import { CapacityStore } from '../service/capacity-store.js';
import { setGpuMemory } from '../placement/memory-column.js';
import type { PodView } from '../providers/kubernetes/pods.js';
import { isLive } from '../providers/kubernetes/pods.js';

/** The fields the leader takes from the cluster (status is observed again by its own controller). */
const SPEC_FIELDS = [
  'name',
  'modelName',
  'engine',
  'engineParams',
  'gpuType',
  'gpuCount',
  'gpuMemoryMb',
  'replicas',
  'zone',
  'maxOngoingRequests',
  'maxQueuedRequests',
  'queueTimeoutMs',
  'drainTimeoutMs',
  'autoscale',
  'labels',
  'apiKeyHash',
  'previousKeyHash',
  'previousKeyUntil',
  'generation',
  'everReady',
] as const satisfies readonly (keyof DeploymentRow)[];

/**
 * A deployment with what it keeps beside its row (its capacity type and on-demand floor, src/service/capacity-store.ts);
 * absent: on-demand.
 */
export type RestoredDeployment = DeploymentRow & { capacity?: CapacitySpec };

export interface ClusterState {
  deployments: readonly RestoredDeployment[];
  /** the name of every InferenceDeployment resource, complete or not: only pods of none of them are orphans */
  resourceNames: ReadonlySet<string>;
  quotas: Readonly<Record<string, number>>;
  /** the pods of each Kubernetes zone, by zone name */
  pods: ReadonlyMap<string, readonly PodView[]>;
  /** the engine port in a zone's pods (a pod replica's port) */
  enginePorts: ReadonlyMap<string, number>;
  /** replica id -> drain start, ms, of the pods the previous leader marked draining (drain-marks.ts) */
  drainStarts?: ReadonlyMap<string, number>;
}

export interface LocalState {
  deployments: readonly RestoredDeployment[];
  /** live replica ids (pending, starting, ready, draining) */
  liveReplicaIds: ReadonlySet<string>;
  quotas: Readonly<Record<string, number>>;
}

export interface RestorePlan {
  insert: RestoredDeployment[];
  update: { id: string; name: string; patch: Partial<RestoredDeployment> }[];
  /** local rows the cluster no longer has (deleted while this replica did not lead) */
  remove: { id: string; name: string }[];
  /** replicas to record for live pods */
  replicas: ReplicaRow[];
  quotas: { gpuType: string; max: number | null }[];
  /** deployments that have pods but no resource any more: their Kubernetes objects are removed */
  orphans: { zone: string; deployment: string }[];
}

const same = (a: unknown, b: unknown) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : JSON.stringify(a) === JSON.stringify(b));

/**
 * @param currentWorkloads the Kubernetes Deployment names a deployment's current pod templates render to (one
 *   per kind of node a deployment that uses spot runs on); pods of another template are recorded as an older
 *   generation, so the controller rolls them
 */
export function planRestore(
  local: LocalState,
  cluster: ClusterState,
  currentWorkloads: (d: RestoredDeployment) => readonly string[],
  now: number,
): RestorePlan {
  const plan: RestorePlan = { insert: [], update: [], remove: [], replicas: [], quotas: [], orphans: [] };
  const localById = new Map(local.deployments.map((d) => [d.id, d]));
  const clusterIds = new Set(cluster.deployments.map((d) => d.id));
  for (const d of local.deployments) if (!clusterIds.has(d.id)) plan.remove.push({ id: d.id, name: d.name });

  for (const c of cluster.deployments) {
    const mine = localById.get(c.id);
    // a resource being deleted comes back as a deployment being deleted: its pods are adopted, then drained
    if (!mine)
      plan.insert.push({
        ...c,
        createdAt: c.createdAt || now,
        updatedAt: now,
        ...(c.deleting ? { status: 'deleting', statusDetails: 'stopping replicas' } : {}),
      });
    else {
      const patch: Partial<RestoredDeployment> = {};
      for (const k of SPEC_FIELDS) if (!same(mine[k], c[k])) (patch as Record<string, unknown>)[k] = c[k];
      if (!same(mine.capacity ?? DEFAULT_CAPACITY, c.capacity ?? DEFAULT_CAPACITY)) patch.capacity = c.capacity ?? DEFAULT_CAPACITY;
      // a resource written before sealed keys were mirrored keeps the local sealed key
      if (c.apiKeySealed && c.apiKeySealed !== mine.apiKeySealed) patch.apiKeySealed = c.apiKeySealed;
      if (mine.deleting !== c.deleting) patch.deleting = c.deleting;
      if (Object.keys(patch).length) plan.update.push({ id: c.id, name: c.name, patch: { ...patch, updatedAt: now } });
    }
  }

  const byName = new Map(cluster.deployments.map((d) => [d.name, d]));
  for (const [zone, pods] of cluster.pods) {
    const orphaned = new Set<string>();
    for (const p of pods) {
      if (!isLive(p)) continue;
      const d = byName.get(p.deployment);
      if (!d || d.zone !== zone) {
        if (!cluster.resourceNames.has(p.deployment) || (d && d.zone !== zone)) orphaned.add(p.deployment);
        continue;
      }
      if (!p.replicaId || local.liveReplicaIds.has(p.replicaId)) continue;
      // a pod the previous leader was draining goes on draining, its deadline counted from that leader's drain start
      const drainStartedAt = cluster.drainStarts?.get(p.replicaId);
      const draining = drainStartedAt !== undefined;
      plan.replicas.push({
        id: p.replicaId,
        deploymentId: d.id,
        state: draining ? 'draining' : p.ready ? 'ready' : 'starting',
        stateReason: draining ? 'draining before the failover: finishing in-flight requests' : p.ready ? 'adopted from the cluster' : 'loading model',
        gpus: [],
        pid: null,
        port: cluster.enginePorts.get(zone) ?? null,
        createdAt: p.createdAt || now,
        startedAt: p.createdAt || now,
        readyAt: p.ready ? now : null,
        stoppedAt: null,
        coldStartMs: null,
        generation: currentWorkloads(d).includes(p.workload) ? d.generation : d.generation - 1,
        exitInfo: '',
        ...(draining ? { drainStartedAt } : {}),
      });
    }
    for (const deployment of orphaned) plan.orphans.push({ zone, deployment });
  }

  for (const [gpuType, max] of Object.entries(cluster.quotas)) if (local.quotas[gpuType] !== max) plan.quotas.push({ gpuType, max });
  for (const gpuType of Object.keys(local.quotas)) if (!(gpuType in cluster.quotas)) plan.quotas.push({ gpuType, max: null });
  return plan;
}

export interface ApplyRestoreOptions {
  store: Store;
  removeOrphan: (zone: string, deployment: string) => Promise<void>;
  identity: string;
  now: number;
  log: (line: string) => void;
}

export async function applyRestore(plan: RestorePlan, o: ApplyRestoreOptions): Promise<void> {
  const { store, now } = o;
  const capacities = new CapacityStore(store.db);
  // the memory of a fractional deployment and its capacity are kept beside its row
  const besideRow = (id: string, d: Partial<RestoredDeployment>) => {
    if (d.gpuMemoryMb) setGpuMemory(store.db, id, d.gpuMemoryMb);
    if (d.capacity) capacities.set(id, d.capacity);
  };
  store.transaction(() => {
    for (const r of plan.remove) store.deleteDeployment(r.id);
    for (const d of plan.insert) {
      const clash = store.getDeploymentByName(d.name);
      if (clash) store.deleteDeployment(clash.id);
      const { capacity: _c, gpuMemoryMb: _m, ...row } = d;
      store.insertDeployment(row);
      besideRow(d.id, d);
      store.addEvent(d.id, now, 'cluster', `restored from the cluster by ${o.identity}`);
    }
    for (const u of plan.update) {
      store.updateDeployment(u.id, u.patch);
      besideRow(u.id, u.patch);
      store.addEvent(
        u.id,
        now,
        'cluster',
        `updated from the cluster by ${o.identity} (${Object.keys(u.patch)
          .filter((k) => k !== 'updatedAt')
          .join(', ')})`,
      );
    }
    plan.replicas.forEach((r) => {
      store.insertReplica(r);
      store.addEvent(r.deploymentId, now, 'replica', `replica ${r.id} adopted from its running pod by ${o.identity}`);
    });
    for (const q of plan.quotas) store.setQuota(q.gpuType, q.max);
  });
  for (const x of plan.orphans) {
    o.log(`cluster: removing the objects of deployment ${x.deployment} in zone ${x.zone}: it was deleted`);
    await o.removeOrphan(x.zone, x.deployment).catch((e: Error) => o.log(`cluster: could not remove ${x.deployment}: ${e.message}`));
  }
  const n = plan.insert.length + plan.update.length + plan.remove.length;
  o.log(`cluster: restored ${n} deployment change(s) and ${plan.replicas.length} running replica(s) from the cluster`);
}
