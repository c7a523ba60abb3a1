/**
 * The one builder of a policy's input, from plain numbers: the live AutoscalerLoop (replica rows, the
 * gateway's queue) and the simulator (its replica set and Admission) both call it, so a policy sees the
 * same thing in both.
 */
import type { AutoscaleSpec, DemandPoint, LoadSample, PolicyInput } from '../autoscaler/types.js';
import type { EngineName } from '../domain/types.js';
import { sleepEndpoints } from '../engines/sleep-mode.js';

export interface PolicyInputParts {
  now: number;
  /** recent samples, oldest first */
  samples: readonly LoadSample[];
  ready: number;
  /** pending placement or loading: counted as capacity on its way */
  starting: number;
  draining: number;
  /** the replica count in force (the last decision applied) */
  desired: number;
  coldStartMs: number;
  /** requests waiting at the gateways now; they count as held at zero only while no replica is ready */
  queued: number;
  /** long-term demand, oldest first (empty when forecasting is off) */
  history: readonly DemandPoint[];
  /** the most replicas quota and GPUs allow, when bounded */
  placeableReplicas?: number;
  /** replicas asleep (a wake away) and the wake time, where replicas taken down sleep (sleepTier) */
  sleeping?: number;
  wakeMs?: number;
}

export function buildPolicyInput(p: PolicyInputParts): PolicyInput {
  const input: PolicyInput = {
    now: p.now,
    samples: p.samples,
    replicas: { ready: p.ready, starting: p.starting, draining: p.draining, desired: p.desired },
    coldStartMs: p.coldStartMs,
    heldAtZero: p.ready === 0 ? p.queued : 0,
    history: p.history,
  };
  if (p.placeableReplicas !== undefined) input.placeableReplicas = p.placeableReplicas;
  if (p.wakeMs !== undefined) {
    input.wakeMs = p.wakeMs;
    input.sleeping = p.sleeping ?? 0;
  }
  return input;
}

/** a wake's expected share of a cold start before one was measured (weights from host RAM instead of disk and engine start) */
export const WAKE_SHARE_OF_COLD_START = 0.1;

/**
 * The sleeping tier of a deployment, for its policy input: how many of its replicas sleep and its measured
 * wake time (median of its recent wakes; before any, a share of the cold start). Nothing where its replicas
 * taken down stop (`sleeps` false: idle by stop, or a provider or engine that cannot sleep).
 */
export function sleepTier(
  replicas: readonly { state: string; wakeMs?: number | null; readyAt: number | null }[],
  sleeps: boolean,
  coldStartMs: number,
): { sleeping?: number; wakeMs?: number } {
  if (!sleeps) return {};
  const wakes = replicas
    .filter((r) => r.wakeMs != null)
    .sort((a, b) => (b.readyAt ?? 0) - (a.readyAt ?? 0))
    .slice(0, 10)
    .map((r) => r.wakeMs!)
    .sort((a, b) => a - b);
  const wakeMs = wakes.length ? wakes[Math.floor(wakes.length / 2)] : Math.round(coldStartMs * WAKE_SHARE_OF_COLD_START);
  return { sleeping: replicas.filter((r) => r.state === 'sleeping').length, wakeMs };
}

/**
 * Whether a deployment's replicas taken down sleep: it idles by sleep and its engine can. (A provider that
 * cannot sleep, Kubernetes, stops them anyway: the reconciler checks its capabilities when it happens.)
 */
export function deploymentSleeps(d: { engine: EngineName; autoscale: AutoscaleSpec | null }): boolean {
  return d.autoscale?.idle === 'sleep' && !!sleepEndpoints(d.engine);
}
