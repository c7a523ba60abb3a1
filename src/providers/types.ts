import type { EngineLaunch, EngineDriver } from '../engines/types.js';
import type { PodModel } from '../domain/pod-model.js';

/** Where a replica runs and how to reach it. */
export interface ReplicaHandle {
  replicaId: string;
  pid: number | null;
  /** local processes: the process's start recorded at spawn, so a reused pid is told apart (src/providers/local/identity.ts) */
  pidStart?: string | null;
  port: number;
  /** base URL of the engine, e.g. http://127.0.0.1:41234 ('' where `routeUrl` answers instead: pods) */
  url: string;
}

export type ProbeResult = 'ready' | 'starting' | 'gone';

export interface ExitInfo {
  replicaId: string;
  code: number | null;
  signal: string | null;
}

/**
 * The small interface every place replicas run behind (local processes today; Kubernetes pods and
 * simulated replicas fit it too). Contract:
 * - `start` returns once the replica is launched, not once it is ready; readiness comes from `probe`.
 * - `probe` never throws: a replica that cannot be reached while its process lives is 'starting'.
 * - `stop` is idempotent: stopping a replica that is already gone resolves.
 * - `adopt` tells whether a replica started by an earlier server process still runs; a process that cannot be
 *   shown to be that replica (its pid reused by another program) is not adopted, and `stop` never signals it.
 * - `onExit` reports replicas that ended on their own (crash, kill) after `start` or `adopt`.
 */
export interface ReplicaProvider {
  start(replicaId: string, deploymentName: string, driver: EngineDriver, launch: Omit<EngineLaunch, 'port' | 'host'>, target?: ReplicaTarget): Promise<ReplicaHandle>;
  probe(handle: ReplicaHandle, driver: EngineDriver): Promise<ProbeResult>;
  stop(handle: ReplicaHandle, graceMs: number): Promise<void>;
  adopt(handle: ReplicaHandle): boolean;
  onExit(listener: (info: ExitInfo) => void): void;
  /** last `lines` log lines of a replica */
  logs(deploymentName: string, replicaId: string, lines: number): Promise<string[]>;
  /** true where the platform places replicas itself (Kubernetes' scheduler): no local GPU placement */
  readonly placesItself?: boolean;
  /** why a replica is not ready yet, e.g. "waiting for a GPU node (Karpenter) for 2m10s: ..." */
  describe?(handle: ReplicaHandle): string | undefined;
  /** true while a replica waits for capacity (a node being provisioned): not a failed start, no startup timeout */
  waitingForCapacity?(handle: ReplicaHandle): boolean;
  /**
   * where the gateway sends a replica's requests when that is not 127.0.0.1:PORT (a pod's address; it
   * changes when the replica is bound to another pod), undefined: the handle's port on loopback
   */
  routeUrl?(replicaId: string): string | undefined;
  /** removes what the provider created for a deleted deployment (idempotent) */
  removeDeployment?(deploymentName: string): Promise<void>;
}

/** What a provider that places replicas itself needs beyond the launch (optional for the others). */
export interface ReplicaTarget {
  zone: string;
  gpuType: string;
  /** the longest a request may stream after its replica leaves rotation */
  drainTimeoutMs: number;
  labels: Record<string, string>;
  /** the model file a pod fetches before its engine starts (engines that load a file: llamacpp) */
  model?: PodModel;
}
