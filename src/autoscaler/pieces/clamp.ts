/** Bounds: the last step of every policy. */

/** Clamps a replica count to [min, max] and makes it a non-negative integer. */
export function clampReplicas(n: number, min: number, max: number): number {
  const x = Number.isFinite(n) ? Math.ceil(n) : min;
  return Math.max(0, Math.min(max, Math.max(min, x)));
}

/**
 * `ceil` that forgives floating-point noise: 8 / 4 * 1.0000000001 stays 2, not 3.
 * Every "replicas = ceil(load / target)" goes through here.
 */
export function ceilReplicas(x: number): number {
  if (!Number.isFinite(x) || x <= 0) return 0;
  return Math.ceil(x - 1e-9);
}

/** Caps a desired count at what quota and GPU inventory can place; says so when it bites. */
export function capToPlaceable(desired: number, placeable: number | undefined): { desired: number; capped: boolean } {
  if (placeable === undefined || desired <= placeable) return { desired, capped: false };
  return { desired: Math.max(0, Math.floor(placeable)), capped: true };
}
