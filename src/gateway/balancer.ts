/**
 * Routing choice, pure: among a deployment's routable replicas, the one with the fewest outstanding
 * requests that is under its cap. Ties are broken by rotating the starting point, so equal replicas share
 * load evenly. Used by the live gateway and by the simulator alike.
 */
export interface RoutableReplica {
  readonly id: string;
  /** requests sent to this replica and not yet finished */
  inflight: number;
  /** false while starting, draining, stopped or ejected after failures */
  routable: boolean;
}

/**
 * Returns the routable replica with the least outstanding requests below `maxOngoing`, or undefined.
 * `rotation` is any counter the caller increments per call; `exclude` skips one replica (for a retry).
 */
export function pickLeastOutstanding<R extends RoutableReplica>(replicas: readonly R[], maxOngoing: number, rotation: number, exclude?: R): R | undefined {
  const n = replicas.length;
  if (n === 0) return undefined;
  let best: R | undefined;
  const start = rotation % n;
  for (let i = 0; i < n; i++) {
    const r = replicas[(start + i) % n];
    if (!r.routable || r === exclude || r.inflight >= maxOngoing) continue;
    if (!best || r.inflight < best.inflight) best = r;
  }
  return best;
}

/** Number of replicas that may take traffic (used to tell "all busy" from "none at all"). */
export function countRoutable(replicas: readonly RoutableReplica[]): number {
  let c = 0;
  for (const r of replicas) if (r.routable) c++;
  return c;
}
