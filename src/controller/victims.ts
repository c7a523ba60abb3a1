/**
 * The scale-down victim order, the one rule the live controller (plan.ts) and the simulator
 * (simulator/engine/replica-set.ts) both follow: replicas not yet placed go first (pending), then those
 * still loading (starting, newest first: the least invested), then ready ones with the fewest requests in
 * flight (the least to drain), the oldest first among equals. Replicas kept for a deployment's on-demand
 * floor (issue #17) go after every other one, in the same order among themselves.
 */

/** How far a replica has come: pending (not placed), starting (loading) or ready (serving). */
export type VictimStage = 'pending' | 'starting' | 'ready';

/** What the order reads of a replica. */
export interface VictimFacts {
  stage: VictimStage;
  /** requests in flight (read for ready replicas only) */
  inflight: number;
  /** ms timestamp the replica was created */
  createdAt: number;
  /** kept for the on-demand floor: taken only once no other replica is left to take */
  keep?: boolean;
}

const RANK: Record<VictimStage, number> = { pending: 0, starting: 1, ready: 2 };

/** Negative when `a` goes before `b`. */
export function compareVictims(a: VictimFacts, b: VictimFacts): number {
  return (
    Number(!!a.keep) - Number(!!b.keep) ||
    RANK[a.stage] - RANK[b.stage] ||
    (a.stage === 'ready' ? a.inflight - b.inflight || a.createdAt - b.createdAt : b.createdAt - a.createdAt)
  );
}

/** `replicas` in victim order (a new array; equals keep their order). */
export function victimOrder<R>(replicas: readonly R[], facts: (r: R) => VictimFacts): R[] {
  const keyed = replicas.map((r) => ({ r, f: facts(r) }));
  keyed.sort((a, b) => compareVictims(a.f, b.f));
  return keyed.map((k) => k.r);
}

/**
 * The replicas a mixed deployment keeps for its on-demand floor: of those on on-demand nodes, the `floor` that
 * would be taken last (ready before starting before pending, then by the victim order).
 */
export function floorKeepers<R>(replicas: readonly R[], floor: number, onDemand: (r: R) => boolean, facts: (r: R) => VictimFacts): Set<R> {
  if (floor <= 0) return new Set();
  return new Set(victimOrder(replicas.filter(onDemand), facts).reverse().slice(0, floor));
}
