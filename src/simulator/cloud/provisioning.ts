/**
 * Node launch time (issue #17): how long a new node takes from the request until it can start a replica,
 * drawn per replica from a lognormal and added to the replica's cold start. Median 120 s, the reference's
 * suggested model ("node launch lognormal median ~120 s"); sigma 0.84 puts the 5th percentile at 30 s
 * (Karpenter: node Ready in 30-40 s) and the 95th at 8 min (the top of "GPU node 2-8 min"); capped at 15
 * min, when Karpenter gives a launch up (../shared/reference/capacity-spot-packing.md).
 */
import { lognormal, type Rand } from '../random.js';

export interface LaunchTime {
  medianMs: number;
  sigma: number;
  maxMs: number;
}

export const DEFAULT_LAUNCH: LaunchTime = { medianMs: 120_000, sigma: 0.84, maxMs: 900_000 };

export function drawLaunchMs(l: LaunchTime, rand: Rand): number {
  if (l.sigma === 0) return Math.min(l.medianMs, l.maxMs);
  return Math.min(l.maxMs, Math.round(lognormal(rand, Math.log(l.medianMs), l.sigma)));
}
