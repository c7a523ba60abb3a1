/** Options of one simulation run and what it returns per deployment. */
import type { SimEngineParams } from '../../engines/sim/params.js';
import type { CloudOptions, CloudStats } from '../cloud/options.js';
import type { PoolConstraints } from '../pool/constraints.js';
import type { Timeline } from './replica.js';

export interface SimOptions {
  /** the engine's service model (shared with the engine simulator) */
  engine: SimEngineParams;
  /** time from starting a replica until it takes traffic, ms */
  coldStartMs: number;
  /** GPUs per replica (billing multiplier) */
  gpuCount: number;
  /** Admission's per-replica cap; default engine.maxNumSeqs */
  maxOngoingPerReplica?: number;
  /** gateway queue bound */
  maxQueued: number;
  /** how long a request may wait at the gateway, ms */
  queueTimeoutMs: number;
  /** requests with TTFT at or under this meet the SLO, ms */
  sloTtftMs: number;
  seed: number;
  /** requests arriving while no replica is ready fail at once (SkyServe has no buffering) */
  rejectWhenNoneReady?: boolean;
  /** a request held at zero asks the policy at once (the live controller's wake); default true */
  wakeOnHeld?: boolean;
  /**
   * Fast idle path: once a deployment has had no replica, no request and no arrival for 2 minutes (longer
   * than any policy's load window), ask the policy only every `idleProbeMs` instead of every tick, and jump
   * to the next arrival (which ends the idle stretch at once). Used only for policies ticking at least 4
   * times per probe (ours, KPA, Ray, SkyServe at zero); 0 = ask every tick. Decisions that leave zero
   * without load (schedules, forecasts) come up to one probe late; on the shared traces every policy's
   * results are identical with and without it.
   */
  idleProbeMs?: number;
  /**
   * Replicas already running (warm) when the trace starts, as if the deployment served the load before it;
   * the policy's first decision at the start is applied warm too. Default 0.
   */
  initialReplicas?: number;
  /**
   * Ask policies at most this often, ms (default 1000 = the sample interval: their input changes once a
   * second, so Ray's 100 ms loop is asked every second); 0 = exactly every policy.tickMs.
   */
  tickFloorMs?: number;
  /**
   * Sleeping replicas (`--idle sleep`): a replica the policy takes down, once drained, goes to sleep (its
   * weights leave the GPU, its process stays) instead of stopping, and a later scale-up wakes a sleeper in
   * `wakeMs` instead of a cold start. Sleepers hold no GPU (not billed); at most `maxSleepers` per
   * deployment (default 1). Absent: replicas stop, as today.
   */
  sleep?: { wakeMs: number; maxSleepers?: number };
  /** the cloud model (src/simulator/cloud/): capacity types, zones, spot preemptions, prices; absent: none */
  cloud?: CloudOptions;
  /** a pool replay's verdicts for this deployment (src/simulator/pool/feedback.ts): waits for room, evictions */
  pool?: PoolConstraints;
}

export const DEFAULT_SIM_OPTIONS = {
  coldStartMs: 60_000,
  gpuCount: 1,
  maxQueued: 10_000,
  queueTimeoutMs: 120_000,
  sloTtftMs: 2_000,
  seed: 1,
  idleProbeMs: 30_000,
} as const;

export interface DeploymentResult {
  name: string;
  requests: number;
  /** per request (in trace order): TTFT ms, Infinity when it failed */
  ttftMs: Float64Array;
  /** per request: arrival to last token, ms, Infinity when it failed */
  e2eMs: Float64Array;
  failedQueueTimeout: number;
  failedQueueFull: number;
  failedRejected: number;
  /** GPU-milliseconds billed (replica lifetime x gpuCount) */
  gpuMs: number;
  /** replicas started (each pays a cold start) */
  coldStarts: number;
  /** replicas woken from sleep (each pays the wake time instead of a cold start) */
  wakes?: number;
  /** sleeping replicas over time (t: trace ms from the start), when sleep is on */
  sleeping?: { t: number[]; n: number[] };
  /** sleeps (+1) and wakes (-1) in time order (trace ms), when sleep is on; evictions are not in it */
  sleepLog?: { t: number[]; d: number[] };
  /** sleepers stopped by the pool's evictions (pool constraints given) */
  evictions?: number;
  /** decisions that changed the replica count */
  scalingActions: number;
  /** requests that waited for a replica because none was ready */
  heldAtZero: number;
  timeline: Timeline;
  /** end of the simulated time, trace ms */
  endMs: number;
  /** the cloud model's numbers, when on */
  cloud?: CloudStats;
}
