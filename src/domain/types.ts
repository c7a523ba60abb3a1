import type { AutoscaleSpec } from '../autoscaler/types.js';

export const ENGINES = ['sim', 'llamacpp', 'vllm', 'sglang', 'command'] as const;
export type EngineName = (typeof ENGINES)[number];

export type DeploymentStatus = 'creating' | 'deploying' | 'ready' | 'scaling' | 'updating' | 'stopped' | 'error' | 'deleting';
/** 'sleeping': the process lives with its weights off the GPU (a wake away); it holds no GPU in placement */
export type ReplicaState = 'pending' | 'starting' | 'ready' | 'draining' | 'sleeping' | 'stopped' | 'failed';

/** Replica states that hold or wait for capacity and count toward the desired replica count. */
export const ACTIVE_STATES: readonly ReplicaState[] = ['pending', 'starting', 'ready'];

export interface Deployment {
  id: string;
  name: string;
  modelName: string;
  engine: EngineName;
  engineParams: string;
  gpuType: string;
  gpuCount: number;
  /** a fractional deployment: each replica needs this much memory (MiB) on one GPU of its type, and gpuCount is 1; null: whole GPUs */
  gpuMemoryMb?: number | null;
  /** desired replicas (set by hand, or by the autoscaler when autoscaling is on) */
  replicas: number;
  zone: string;
  status: DeploymentStatus;
  statusDetails: string;
  /** per-replica cap on outstanding requests at the gateway */
  maxOngoingRequests: number;
  /** gateway queue bound and timeout */
  maxQueuedRequests: number;
  queueTimeoutMs: number;
  drainTimeoutMs: number;
  autoscale: AutoscaleSpec | null;
  labels: Record<string, string>;
  apiKeyHash: Buffer;
  apiKeySealed: string;
  /** after a rotation: the old key's hash, still accepted until `previousKeyUntil` (ms since the epoch) */
  previousKeyHash?: Buffer | null;
  previousKeyUntil?: number | null;
  createdAt: number;
  updatedAt: number;
  /** incremented by each engine-params update, so the reconciler rolls replicas of older generations */
  generation: number;
}

export interface Replica {
  id: string;
  deploymentId: string;
  state: ReplicaState;
  stateReason: string;
  /** indices of the GPUs held (empty while pending) */
  gpus: number[];
  pid: number | null;
  /** the process's start recorded at spawn (local replicas; src/providers/local/identity.ts) */
  pidStart?: string | null;
  port: number | null;
  createdAt: number;
  startedAt: number | null;
  readyAt: number | null;
  stoppedAt: number | null;
  /** measured: from process start to first healthy probe */
  coldStartMs: number | null;
  generation: number;
  exitInfo: string;
}
