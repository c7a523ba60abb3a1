/**
 * Capacity types (issue #17): where a deployment's replicas run. `on-demand` (the default) and `spot` put every
 * replica on one kind of node; `mixed` keeps at least `onDemandFloor` replicas on on-demand nodes and the rest on
 * spot when spot can be had (SkyServe's spot target T - B with an on-demand floor B). Pure: validation and the
 * split of a replica count, no store.
 */
import { z } from 'zod';
import { InferscaleError } from '../core/errors.js';

export const CAPACITY_TYPES = ['on-demand', 'spot', 'mixed'] as const;
export type CapacityType = (typeof CAPACITY_TYPES)[number];
/** What a single replica (a node) is: a mixed deployment's replicas are each one of these. */
export type NodeCapacity = 'on-demand' | 'spot';

export interface CapacitySpec {
  capacity: CapacityType;
  /** replicas always on on-demand nodes (mixed only; 0 otherwise) */
  onDemandFloor: number;
}

export const DEFAULT_CAPACITY: CapacitySpec = { capacity: 'on-demand', onDemandFloor: 0 };

export const capacityField = z.enum(CAPACITY_TYPES, { error: `must be one of ${CAPACITY_TYPES.join(', ')}` });
export const floorField = z.number().int('must be an integer').min(0, 'must be at least 0').max(1000, 'must be at most 1000');

/**
 * The stable reasons of a refused capacity (`details.reason` of the error): `floor_above_max` (invalid_argument),
 * `floor_above_replicas` (invalid_argument), `floor_without_mixed` (invalid_argument), `no_spot_nodes` (unsupported).
 */
export type CapacityRefusal = 'floor_above_max' | 'floor_above_replicas' | 'floor_without_mixed' | 'no_spot_nodes';

function refuse(code: 'invalid_argument' | 'unsupported', field: string, reason: CapacityRefusal, message: string): InferscaleError {
  return new InferscaleError(code, `${field}: ${message}`, { field, reason });
}

/** The spec a create or update asks for, over the current one: a floor given without a type keeps the type. */
export function mergeCapacity(current: CapacitySpec, asked: { capacity?: CapacityType; onDemandFloor?: number }): CapacitySpec {
  const capacity = asked.capacity ?? current.capacity;
  const onDemandFloor = asked.onDemandFloor ?? (capacity === 'mixed' ? current.onDemandFloor : 0);
  return { capacity, onDemandFloor };
}

export interface CapacityContext {
  zone: string;
  /** whether the zone declares how its spot nodes are told apart (src/zones/config.ts `spot`) */
  zoneHasSpot: boolean;
  /** the autoscaler's max when autoscaled, else null */
  maxReplicas: number | null;
  /** the desired replicas (what bounds the floor of a manual deployment) */
  replicas: number;
}

/** Throws when `spec` cannot hold in `ctx`; the error names the field and a stable reason. */
export function assertCapacity(spec: CapacitySpec, ctx: CapacityContext): void {
  if (spec.capacity !== 'mixed' && spec.onDemandFloor > 0)
    throw refuse(
      'invalid_argument',
      'onDemandFloor',
      'floor_without_mixed',
      `an on-demand floor only applies to --capacity mixed (this deployment is ${spec.capacity})`,
    );
  if (spec.capacity !== 'on-demand' && !ctx.zoneHasSpot)
    throw refuse(
      'unsupported',
      'capacity',
      'no_spot_nodes',
      `zone "${ctx.zone}" declares no spot nodes; declare how they are told apart under "spot" in the zones file, or use --capacity on-demand`,
    );
  if (spec.capacity !== 'mixed') return;
  if (ctx.maxReplicas !== null && spec.onDemandFloor > ctx.maxReplicas)
    throw refuse(
      'invalid_argument',
      'onDemandFloor',
      'floor_above_max',
      `the on-demand floor ${spec.onDemandFloor} is above the autoscaling max ${ctx.maxReplicas}`,
    );
  if (ctx.maxReplicas === null && spec.onDemandFloor > ctx.replicas)
    throw refuse(
      'invalid_argument',
      'onDemandFloor',
      'floor_above_replicas',
      `the on-demand floor ${spec.onDemandFloor} is above the ${ctx.replicas} replicas of this manual deployment`,
    );
}

export interface CapacitySplit {
  onDemand: number;
  spot: number;
}

/**
 * How `replicas` divide between on-demand and spot nodes. `spotShort` (mixed only): how many of the spot
 * share cannot be had now past the fallback bound; those run on on-demand until spot returns.
 */
export function splitReplicas(spec: CapacitySpec, replicas: number, spotShort = 0): CapacitySplit {
  if (spec.capacity === 'on-demand') return { onDemand: replicas, spot: 0 };
  if (spec.capacity === 'spot') return { onDemand: 0, spot: replicas };
  const floor = Math.min(spec.onDemandFloor, replicas);
  const spotTarget = replicas - floor;
  const fallback = Math.min(Math.max(0, spotShort), spotTarget);
  return { onDemand: floor + fallback, spot: spotTarget - fallback };
}

/** "mixed (on-demand floor 1)", "spot", "on-demand": as `deployment show` says it. */
export function describeCapacity(spec: CapacitySpec): string {
  return spec.capacity === 'mixed' ? `mixed (on-demand floor ${spec.onDemandFloor})` : spec.capacity;
}
