/**
 * The one builder of a policy's input, from plain numbers: the live AutoscalerLoop (replica rows, the
 * gateway's queue) and the simulator (its replica set and Admission) both call it, so a policy sees the
 * same thing in both.
 */
import type { DemandPoint, LoadSample, PolicyInput } from '../autoscaler/types.js';

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
  return input;
}
