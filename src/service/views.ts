import type { Replica } from '../domain/types.js';
import { formatMemory } from '../placement/size.js';
import type { DeploymentRow } from '../store/store.js';
import type { EngineSignals } from '../engines/engine-metrics.js';
import type { CapacitySpec } from '../domain/capacity.js';

export interface ReplicaView {
  id: string;
  state: Replica['state'];
  stateReason: string;
  gpus: number[];
  pid: number | null;
  port: number | null;
  generation: number;
  createdAt: string;
  startedAt: string | null;
  readyAt: string | null;
  stoppedAt: string | null;
  coldStartMs: number | null;
  /** the engine's own load from its /metrics (ready replicas whose engine says it) */
  engine?: EngineSignals;
}

export interface DeploymentView {
  id: string;
  name: string;
  status: string;
  statusDetails: string;
  modelName: string;
  engine: string;
  engineParams: string;
  gpuType: string;
  gpuCount: number;
  /** a fractional deployment: memory per replica on one GPU, e.g. "10Gi"; null: whole GPUs */
  gpuMemory: string | null;
  replicas: number;
  readyReplicas: number;
  totalGpus: number;
  zone: string;
  url: string;
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  queueTimeoutMs: number;
  drainTimeoutMs: number;
  autoscale: DeploymentRow['autoscale'];
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  replicaDetails: ReplicaView[];
  apiKey?: string;
  /** on-demand, spot or mixed, and the on-demand floor (src/domain/capacity.ts); absent in views built without the service */
  capacity?: CapacitySpec;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function replicaView(r: Replica): ReplicaView {
  return {
    id: r.id,
    state: r.state,
    stateReason: r.stateReason,
    gpus: r.gpus,
    pid: r.pid,
    port: r.port,
    generation: r.generation,
    createdAt: iso(r.createdAt)!,
    startedAt: iso(r.startedAt),
    readyAt: iso(r.readyAt),
    stoppedAt: iso(r.stoppedAt),
    coldStartMs: r.coldStartMs,
  };
}

/** The public shape of a deployment. Never carries the key unless `apiKey` is passed (create, reveal, rotate). */
export function deploymentView(
  d: DeploymentRow,
  replicas: readonly Replica[],
  baseUrl: string,
  apiKey?: string,
  engine?: (replicaId: string) => EngineSignals | undefined,
): DeploymentView {
  const live = replicas.filter((r) => r.state !== 'stopped' && r.state !== 'failed');
  const recentFailed = replicas.filter((r) => r.state === 'failed').slice(-3);
  const v: DeploymentView = {
    id: d.id,
    name: d.name,
    status: d.status,
    statusDetails: d.statusDetails,
    modelName: d.modelName,
    engine: d.engine,
    engineParams: d.engineParams,
    gpuType: d.gpuType,
    gpuCount: d.gpuCount,
    gpuMemory: d.gpuMemoryMb ? formatMemory(d.gpuMemoryMb) : null,
    replicas: d.replicas,
    readyReplicas: live.filter((r) => r.state === 'ready').length,
    totalGpus: d.gpuCount * d.replicas,
    zone: d.zone,
    url: `${baseUrl}/d/${d.name}/v1`,
    maxOngoingRequests: d.maxOngoingRequests,
    maxQueuedRequests: d.maxQueuedRequests,
    queueTimeoutMs: d.queueTimeoutMs,
    drainTimeoutMs: d.drainTimeoutMs,
    autoscale: d.autoscale,
    labels: d.labels,
    createdAt: iso(d.createdAt)!,
    updatedAt: iso(d.updatedAt)!,
    replicaDetails: [...live, ...recentFailed].map((r) => {
      const view = replicaView(r);
      const signals = engine?.(r.id);
      if (signals) view.engine = signals;
      return view;
    }),
  };
  if (apiKey !== undefined) v.apiKey = apiKey;
  return v;
}
