/**
 * Spot prices (issue #17): a GPU type may have a spot price per GPU-hour beside its on-demand one. A replica on
 * a spot node is charged the spot price (the on-demand one when no spot price is set), and the difference to
 * what the same GPU-seconds cost on-demand is the spot saving that `inferscale cost` reports. Pure.
 */
import { InferscaleError } from '../core/errors.js';
import type { NodeCapacity } from '../domain/capacity.js';
import { MAX_USD_PER_GPU_HOUR } from '../domain/limits.js';

export interface CapacityPrice {
  usdPerGpuHour: number;
  /** absent: spot replicas are charged the on-demand price */
  spotUsdPerGpuHour?: number;
}

/** USD per GPU-hour a replica on `capacity` pays. */
export function priceOn(p: CapacityPrice, capacity: NodeCapacity | undefined): number {
  return capacity === 'spot' && p.spotUsdPerGpuHour !== undefined ? p.spotUsdPerGpuHour : p.usdPerGpuHour;
}

/** What a replica on `capacity` saves per GPU-hour against on-demand (0 for on-demand replicas). */
export function savingPerGpuHour(p: CapacityPrice, capacity: NodeCapacity | undefined): number {
  return p.usdPerGpuHour - priceOn(p, capacity);
}

/**
 * Checks a spot price against the on-demand price it goes with: a number in range, not above on-demand.
 * Throws invalid_argument (field spotUsdPerGpuHour; reason `spot_above_on_demand` for the latter).
 */
export function checkSpotPrice(gpuType: string, onDemand: number, spot: unknown): asserts spot is number | null {
  if (spot === null) return;
  if (typeof spot !== 'number' || !Number.isFinite(spot) || spot < 0 || spot > MAX_USD_PER_GPU_HOUR)
    throw new InferscaleError(
      'invalid_argument',
      `spotUsdPerGpuHour: must be a number of USD per GPU-hour between 0 and ${MAX_USD_PER_GPU_HOUR} (or null to remove it)`,
      {
        field: 'spotUsdPerGpuHour',
      },
    );
  if (spot > onDemand)
    throw new InferscaleError('invalid_argument', `spotUsdPerGpuHour: the spot price of ${gpuType} ($${spot}) is above its on-demand price ($${onDemand})`, {
      field: 'spotUsdPerGpuHour',
      reason: 'spot_above_on_demand',
    });
}
