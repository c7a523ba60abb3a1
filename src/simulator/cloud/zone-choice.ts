/**
 * Where a new spot replica goes, and how many on-demand replicas SkyServe's rule runs. Pure.
 *
 * Ours: the node provisioner (Karpenter) finds a zone that has spot, and inferscale spreads: the zone, among
 * those with spot now, with the fewest of the deployment's spot replicas (ties: the lowest index), each zone
 * holding at most its share (zoneShareCap).
 * SkyServe (sky/serve/spot_placers.py, SpotHedge): the ACTIVE zone with the fewest spot replicas; a zone where a
 * replica is preempted (or, here, where a launch finds no spot) is marked PREEMPTED and avoided; when at most
 * one zone is still ACTIVE, every zone is ACTIVE again. SkyServe does not know which zones have spot: it
 * learns by trying.
 */

/** The up zone with the fewest spot replicas and fewer than `cap` of them, or -1 when there is none. */
export function spreadZone(up: readonly boolean[], spotPerZone: readonly number[], cap = Infinity): number {
  let best = -1;
  for (let k = 0; k < up.length; k++) if (up[k] && spotPerZone[k] < cap && (best < 0 || spotPerZone[k] < spotPerZone[best])) best = k;
  return best;
}

/**
 * Ours' zone share (mixed): one zone holds at most ceil(spotWanted / zones) of the deployment's spot replicas,
 * so a zone going down takes at most its share of them at once, whatever the other zones do; the replicas
 * beyond it run on on-demand until a zone has room. Without it, spread over the zones up at the time, every
 * spot replica lands in the one zone up and its preemption takes them all (docs/spot.md).
 */
export function zoneShareCap(spotWanted: number, zones: number): number {
  return Math.ceil(Math.max(1, spotWanted) / Math.max(1, zones));
}

/** SpotHedge's zone marks: true = ACTIVE. Marks `zone` PREEMPTED, then resets all when at most one is ACTIVE. */
export function markPreempted(active: readonly boolean[], zone: number): boolean[] {
  const next = active.map((a, k) => a && k !== zone);
  return next.filter(Boolean).length <= 1 ? next.map(() => true) : next;
}

/**
 * SpotHedge's launch: tries ACTIVE zones, fewest spot replicas first; a zone without spot is marked PREEMPTED
 * and the next one tried (each zone at most once). Returns the zone (-1: none had spot) and the new marks.
 */
export function spotHedgeZone(active: readonly boolean[], up: readonly boolean[], spotPerZone: readonly number[]): { zone: number; active: boolean[] } {
  let marks = [...active];
  const tried = new Set<number>();
  for (;;) {
    let best = -1;
    for (let k = 0; k < marks.length; k++) if (marks[k] && !tried.has(k) && (best < 0 || spotPerZone[k] < spotPerZone[best])) best = k;
    if (best < 0) return { zone: -1, active: marks };
    if (up[best]) return { zone: best, active: marks };
    tried.add(best);
    marks = markPreempted(marks, best);
  }
}

/**
 * SkyServe's on-demand count for `target` replicas with `base` on-demand (base_ondemand_fallback_replicas) and
 * dynamic fallback: base + max(0, (target - base) - readySpot), at most target (sky/serve/autoscalers.py).
 */
export function skyServeOnDemand(target: number, base: number, readySpot: number): number {
  const b = Math.min(base, target);
  return Math.min(target, b + Math.max(0, target - b - readySpot));
}
