/** The cloud model's options (plain data: they travel to worker threads) and what it reports per deployment. */
import type { ZoneWindows } from './availability.js';
import type { NodeType } from './catalog.js';
import type { LaunchTime } from './provisioning.js';

export const CAPACITY_POLICIES = ['on-demand', 'spot', 'mixed', 'skyserve'] as const;
export type CapacityPolicy = (typeof CAPACITY_POLICIES)[number];

export interface CloudOptions {
  /** on-demand only, spot only, mixed (ours: floor on on-demand, the rest spot with fallback), SkyServe's rule */
  capacity: CapacityPolicy;
  /** mixed: replicas always on on-demand; skyserve: base_ondemand_fallback_replicas */
  onDemandFloor: number;
  node: NodeType;
  /** spot availability per zone over the simulated time */
  zones: ZoneWindows[];
  launch: LaunchTime;
  /** preemption notice, ms (AWS: 2 minutes) */
  noticeMs: number;
  /** mixed: spot short for this long, ms, and the next replicas go on on-demand (live default: 300 s) */
  fallbackAfterMs: number;
}

export const DEFAULT_NOTICE_MS = 120_000;
/** the live provider's default fallback bound (spot.fallbackAfterSeconds, docs/spot.md) */
export const DEFAULT_FALLBACK_AFTER_MS = 300_000;

export interface CloudStats {
  costUsd: number;
  onDemandHours: number;
  spotHours: number;
  /** spot replicas that got a preemption notice */
  preemptions: number;
  /** requests in flight on a replica at its notice's end, sent back through the gateway queue */
  retried: number;
  /** requests lost to a preemption: cut while streaming, or retried and then failed */
  lost: number;
  /** of those, cut while streaming (not counted in any other failure) */
  cut: number;
  /** replicas put on on-demand because spot was short past the bound (mixed), or SkyServe's on-demand covers */
  fallbacks: number;
  /** on-demand replicas moved back to spot (mixed) */
  movesBack: number;
}

export const emptyStats = (): CloudStats => ({
  costUsd: 0,
  onDemandHours: 0,
  spotHours: 0,
  preemptions: 0,
  retried: 0,
  lost: 0,
  cut: 0,
  fallbacks: 0,
  movesBack: 0,
});
