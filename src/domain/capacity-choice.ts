/**
 * Which capacity type the next replica of a deployment asks for (issue #17, docs/spot.md): one pure decision
 * shared by the Kubernetes provider (src/providers/kubernetes/spot.ts) and the simulator's cloud model
 * (src/simulator/cloud/), so the simulator prices the rule the live system runs.
 */
import type { CapacitySpec, NodeCapacity } from './capacity.js';

export interface CapacityChoiceInput {
  spec: CapacitySpec;
  /** the deployment's replicas (not being removed) on each capacity type now */
  onDemand: number;
  spot: number;
  /** since when the deployment's spot pods have waited unschedulable (none: spot is not short) */
  spotShortSince: number | undefined;
  now: number;
  /** the zone's fallback bound (spot.fallbackAfterSeconds) in ms */
  fallbackAfterMs: number;
}

/**
 * The capacity type of the next replica: on-demand below the floor; for mixed above it spot, unless spot has
 * been short for longer than the bound, when it falls back to on-demand (SkyServe's dynamic fallback).
 */
export function chooseCapacity(i: CapacityChoiceInput): NodeCapacity {
  if (i.spec.capacity === 'on-demand') return 'on-demand';
  if (i.spec.capacity === 'spot') return 'spot';
  if (i.onDemand < i.spec.onDemandFloor) return 'on-demand';
  if (i.spotShortSince !== undefined && i.now - i.spotShortSince >= i.fallbackAfterMs) return 'on-demand';
  return 'spot';
}
