import type { EngineLaunch, EngineDriver } from '../engines/types.js';
import type { PodModel } from '../domain/pod-model.js';

/** Where a replica runs and how to reach it. */
export interface ReplicaHandle {
  replicaId: string;
  pid: number | null;
  /** local processes: the process's start recorded at spawn, so a reused pid is told apart (src/providers/local/identity.ts) */
  pidStart?: string | null;
  port: number;
  /** base URL of the engine, e.g. http://127.0.0.1:41234 ('' where the replica has no address yet: pods; `replicaUrl` answers) */
  url: string;
}

export type ProbeResult = 'ready' | 'starting' | 'gone';

export interface ExitInfo {
  replicaId: string;
  code: number | null;
  signal: string | null;
}

/**
 * What a provider can do, as data: the controller and the API read these instead of asking which kind of
 * provider they hold.
 */
export interface ProviderCapabilities {
  /**
   * 'local-gpus': the controller places each replica on this machine's free GPUs before `start`;
   * 'platform': the platform schedules replicas itself (Kubernetes' scheduler), no local placement
   */
  placement: 'local-gpus' | 'platform';
  /**
   * 'stored-file': the replica loads the model file of this server's model store (a path in the launch);
   * 'fetched-by-replica': the replica fetches its model itself (`ReplicaTarget.model`, a pod's init container)
   */
  model: 'stored-file' | 'fetched-by-replica';
  /** true: each replica's engine takes requests only with its own engine key (local processes on a shared loopback) */
  engineKey: boolean;
  /**
   * true: a started replica may wait for capacity (a node being provisioned) before it runs; the startup
   * timeout counts from when it got capacity (`waitingForCapacity`)
   */
  waitsForCapacity: boolean;
  /** the cold start to expect before one was measured (ms): engine start, plus node provisioning where there is one */
  defaultColdStartMs: number;
  /**
   * true: the provider has `sleep` and `wake` (a replica keeps its process with its weights off the GPU, where
   * its engine can: src/engines/sleep-mode.ts). Absent: it cannot (Kubernetes: a pod's GPU is its node's, and
   * a sleeping pod would keep it); its idle replicas stop.
   */
  sleep?: boolean;
}

/** What a replica put to sleep says about itself. */
export interface SleepResult {
  /** host RAM its weights take while it sleeps (vLLM level 1 keeps them there); absent: unknown */
  hostRamBytes?: number;
  /** where that figure comes from: the engine's answer, the stored model's weight files, or the replica's GPU memory (an upper bound) */
  hostRamFrom?: 'engine' | 'model-weights' | 'gpu-memory';
}

/** What a provider's `sleep` may estimate host RAM from where the engine does not say (vLLM answers an empty 200). */
export interface SleepHint {
  /** the stored model file or repository directory the replica loaded */
  modelPath?: string;
  /** the GPU memory the replica held awake (its share, or its whole GPUs), bytes; 0 or absent: unknown */
  gpuMemoryBytes?: number;
}

/**
 * The interface every place replicas run behind: local processes, Kubernetes pods and simulated replicas.
 * Every member is required; a provider with nothing to do for one answers trivially. Contract:
 * - `start` returns once the replica is launched, not once it is ready; readiness comes from `probe`.
 * - `probe` never throws: a replica that cannot be reached while its process lives is 'starting'.
 * - `stop` is idempotent: stopping a replica that is already gone resolves.
 * - `adopt` tells whether a replica started by an earlier server process still runs; a process that cannot be
 *   shown to be that replica (its pid reused by another program) is not adopted, and `stop` never signals it.
 * - `onExit` reports replicas that ended on their own (crash, kill) after `start` or `adopt`.
 * - `replicaUrl` is where the gateway sends a replica's requests (and where `probe` checks it); undefined
 *   while the replica has no address yet (a pod not bound).
 */
export interface ReplicaProvider {
  readonly capabilities: ProviderCapabilities;
  start(
    replicaId: string,
    deploymentName: string,
    driver: EngineDriver,
    launch: Omit<EngineLaunch, 'port' | 'host'>,
    target?: ReplicaTarget,
  ): Promise<ReplicaHandle>;
  probe(handle: ReplicaHandle, driver: EngineDriver): Promise<ProbeResult>;
  stop(handle: ReplicaHandle, graceMs: number): Promise<void>;
  adopt(handle: ReplicaHandle): boolean;
  onExit(listener: (info: ExitInfo) => void): void;
  /** last `lines` log lines of a replica */
  logs(deploymentName: string, replicaId: string, lines: number): Promise<string[]>;
  /** the base URL of a replica's engine (e.g. http://127.0.0.1:41234, a pod's IP); undefined: no address yet */
  replicaUrl(replica: ReplicaAddress): string | undefined;
  /** GPUs of a type this provider may hold at most (this machine's count; a zone's cap, else ELASTIC) */
  capacity(gpuType: string): number;
  /**
   * The GPU type a new deployment gets: `requested`, or the provider's only type when none is asked for.
   * Throws invalid_argument (or insufficient_capacity) naming what the provider has.
   */
  gpuTypeFor(requested: string | undefined, engine: string): string;
  /**
   * Providers whose platform places replicas and can still run a fractional one (a share of one GPU): throws
   * (field gpuMemory) when `memoryMb` on one `gpuType` GPU cannot run here. Absent: whole GPUs only.
   */
  checkGpuMemory?(gpuType: string, memoryMb: number): void;
  /** With checkGpuMemory: the share of one GPU such a replica holds here (0-1), what its quota and cost count. */
  gpuShare?(gpuType: string, memoryMb: number): number;
  /** why a replica is not ready yet, e.g. "waiting for a GPU node (Karpenter) for 2m10s: ..."; undefined: nothing to say */
  describe(handle: ReplicaHandle): string | undefined;
  /** true while a replica waits for capacity (a node being provisioned): not a failed start, no startup timeout */
  waitingForCapacity(handle: ReplicaHandle): boolean;
  /** removes what the provider created for a deleted deployment (idempotent; nothing for providers that keep nothing) */
  removeDeployment(deploymentName: string): Promise<void>;
  /**
   * Where `capabilities.sleep`: puts a ready replica with nothing in flight to sleep (its process stays, its
   * weights leave the GPU). Throws (InferscaleError 'unsupported' or the engine's refusal) when it cannot: the
   * caller stops the replica instead. `apiKey`: the replica's engine key, where its engine takes one. `hint`:
   * what the host RAM may be estimated from where the engine does not report it (`hostRamFrom` says which).
   */
  sleep?(handle: ReplicaHandle, driver: EngineDriver, apiKey?: string, hint?: SleepHint): Promise<SleepResult>;
  /** Wakes a sleeping replica; resolves once it serves again (seconds), throws when it cannot (then it is stopped). */
  wake?(handle: ReplicaHandle, driver: EngineDriver, apiKey?: string): Promise<void>;
}

/** What `replicaUrl` is asked about: a replica and the port its row records. */
export interface ReplicaAddress {
  replicaId: string;
  port: number | null;
}

/** engine start and model load, before a cold start was measured (a zone with node provisioning adds its own) */
export { LOCAL_COLD_START_MS } from '../domain/limits.js';

/** GPUs of a type a zone may hold when no cap is configured: the node provisioner decides. */
export const ELASTIC = 100_000;

/** What a provider that places replicas itself needs beyond the launch (optional for the others). */
export interface ReplicaTarget {
  zone: string;
  gpuType: string;
  /** the longest a request may stream after its replica leaves rotation */
  drainTimeoutMs: number;
  labels: Record<string, string>;
  /** the model file a pod fetches before its engine starts (engines that load a file: llamacpp) */
  model?: PodModel;
  /** a fractional replica's memory on one GPU (MiB), for providers whose platform places it (checkGpuMemory) */
  gpuMemoryMb?: number;
}
