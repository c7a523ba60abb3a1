/**
 * Replica bounds, in one place: creation and manual scale (domain/validation.ts), the autoscale spec's min
 * and max (autoscaler/spec.ts) and the autoscaler's decisions (`capDecision`, applied by
 * service/deployments.ts `applyAutoscale`) all read them here. What a deployment may really place is bounded
 * further by GPU quota and inventory.
 */

/** The most replicas one deployment may ask for, by hand or autoscaled. */
export const MAX_REPLICAS = 1000;

export interface DecisionBounds {
  /** the autoscale spec's bounds */
  min: number;
  max: number;
  /** the most replicas quota and GPU inventory place, and why in words */
  placeable: number;
  placeableWhy: string;
}

/**
 * An autoscaler decision brought within bounds, never refused: into [min, max] (and MAX_REPLICAS), and a
 * scale-up no further than what is placeable (but never below `current`: a cap on growth does not shrink a
 * deployment). `note` says each cap ("capped at N: why"); null when the decision stands as asked.
 */
export function capDecision(desired: number, current: number, b: DecisionBounds): { replicas: number; note: string | null } {
  const notes: string[] = [];
  let n = Number.isFinite(desired) ? Math.max(0, Math.round(desired)) : current;
  const max = Math.min(b.max, MAX_REPLICAS);
  if (n > max) {
    n = max;
    notes.push(`capped at ${n}: the autoscale maximum`);
  } else if (n < b.min) {
    n = b.min;
    notes.push(`raised to ${n}: the autoscale minimum`);
  }
  if (n > current && n > b.placeable) {
    n = Math.max(current, b.placeable);
    notes.push(`capped at ${n}: ${b.placeableWhy}`);
  }
  return { replicas: n, note: notes.length ? notes.join('; ') : null };
}
