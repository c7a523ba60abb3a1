import type { Replica } from '../domain/types.js';
import { floorKeepers, victimOrder, type VictimFacts, type VictimStage } from './victims.js';

export interface ReplicaPlan {
  /** new replicas to create (pending) at the current generation */
  create: number;
  /** replicas to take away, in order; ready ones are drained first */
  remove: Replica[];
  /** one line saying why, for events */
  reason: string;
}

/**
 * Pure: how to converge a deployment's active replicas (pending, starting, ready) to `desired`, rolling
 * replicas of older generations one at a time with a surge of one (a new one becomes ready before an
 * old ready one is drained). Victims in the shared victim order (victims.ts): pending first, then starting
 * (newest first), then ready with the fewest in-flight requests; a mixed deployment's on-demand floor last.
 */
export function planReplicas(input: {
  desired: number;
  generation: number;
  active: readonly Replica[];
  inflight: (replicaId: string) => number;
  /** false while a crash backoff holds new replicas back */
  mayCreate: boolean;
  /**
   * a mixed deployment's on-demand floor, and which replicas run on on-demand nodes (issue #17); read only when
   * replicas are to be removed
   */
  floor?: () => { onDemandFloor: number; onDemand: (replicaId: string) => boolean } | undefined;
}): ReplicaPlan {
  const { desired, generation, active } = input;
  const old = active.filter((r) => r.generation < generation);
  const fresh = active.filter((r) => r.generation >= generation);
  const updating = old.length > 0 && desired > 0;
  const maxTotal = desired + (updating ? 1 : 0);
  let create = 0;
  while (input.mayCreate && fresh.length + create < desired && fresh.length + old.length + create < maxTotal) create++;

  const excess = fresh.length + old.length + create - desired;
  const remove: Replica[] = [];
  if (excess > 0) {
    const readyTotal = active.filter((r) => r.state === 'ready').length;
    const facts = (r: Replica): VictimFacts => ({
      stage: r.state as VictimStage,
      inflight: r.state === 'ready' ? input.inflight(r.id) : 0,
      createdAt: r.createdAt,
    });
    const f = input.floor?.();
    const kept = f ? floorKeepers(active, f.onDemandFloor, (r) => f.onDemand(r.id), facts) : new Set<Replica>();
    const order = (list: readonly Replica[]) => victimOrder(list, (r) => ({ ...facts(r), keep: kept.has(r) }));
    const candidates = updating ? order(old) : [...order(old), ...order(fresh)];
    let readyLeft = readyTotal;
    for (const r of candidates) {
      if (remove.length >= excess) break;
      // during an update keep serving: an old ready replica goes only once a fresh one took its place
      if (updating && r.state === 'ready' && readyLeft <= desired) continue;
      remove.push(r);
      if (r.state === 'ready') readyLeft--;
    }
  }
  const reason = updating
    ? `rolling update: ${fresh.length} new, ${old.length} old, want ${desired}`
    : create > 0
      ? `${active.length} replicas, want ${desired}: adding ${create}`
      : remove.length > 0
        ? `${active.length} replicas, want ${desired}: removing ${remove.map((r) => r.id).join(', ')}`
        : 'converged';
  return { create, remove, reason };
}
