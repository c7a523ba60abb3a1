/**
 * SkyPilot SkyServe RequestRateAutoscaler (sky/serve/autoscalers.py), re-implemented from the reference
 * and its constants (sky/serve/constants.py): qps = requests in the last 60 s / 60; target =
 * ceil(qps / target_qps_per_replica) clamped to [min, max]; decided every 20 s (every 5 s while there is
 * no replica); a higher target must be seen on upscale_delay / 20 s consecutive decisions (300 s -> 15),
 * a lower one on downscale_delay / 20 s (1200 s -> 60); from 0 replicas the target applies at once.
 * No request buffering: clients retry, and their retries count as arrivals.
 */
import { invalid } from '../../core/errors.js';
import { windowSum } from '../pieces/average.js';
import { ceilReplicas, clampReplicas } from '../pieces/clamp.js';
import { withDefaults } from '../pieces/defaults.js';
import { lazyResult } from '../pieces/decision.js';
import type { PolicyInput, PolicyResult, ScalingPolicy, PolicyEntry } from '../types.js';
import { num } from '../units.js';

export interface SkyServeOptions {
  targetQpsPerReplica: number;
  minReplicas?: number;
  maxReplicas: number;
  upscaleDelayMs?: number;
  downscaleDelayMs?: number;
  decisionIntervalMs?: number;
  noReplicaDecisionIntervalMs?: number;
  qpsWindowMs?: number;
  /** extra replicas on top of the target */
  numOverprovision?: number;
}

export interface SkyServeState {
  upCount: number;
  downCount: number;
  lastDecisionAt: number;
  /** the last decision (SkyServe's target_num_replicas, before overprovisioning) */
  target?: number;
}

export const SKYSERVE_DEFAULTS = {
  minReplicas: 1,
  upscaleDelayMs: 300_000,
  downscaleDelayMs: 1_200_000,
  decisionIntervalMs: 20_000,
  noReplicaDecisionIntervalMs: 5_000,
  qpsWindowMs: 60_000,
  numOverprovision: 0,
};

export function createSkyServePolicy(options: SkyServeOptions): ScalingPolicy<SkyServeState> {
  const o = withDefaults(SKYSERVE_DEFAULTS, options);
  const upThreshold = Math.floor(o.upscaleDelayMs / o.decisionIntervalMs);
  const downThreshold = Math.floor(o.downscaleDelayMs / o.decisionIntervalMs);
  return {
    name: 'skyserve',
    tickMs: o.noReplicaDecisionIntervalMs,
    init: () => ({ upCount: 0, downCount: 0, lastDecisionAt: -Infinity }),
    decide(input: PolicyInput, prev: SkyServeState): PolicyResult<SkyServeState> {
      const { now } = input;
      const target = prev.target ?? Math.max(0, input.replicas.desired - o.numOverprovision);
      const interval = target === 0 ? o.noReplicaDecisionIntervalMs : o.decisionIntervalMs;
      const final = (t: number) => (t === 0 ? 0 : clampReplicas(t + o.numOverprovision, 0, o.maxReplicas + o.numOverprovision));
      if (now - prev.lastDecisionAt < interval) {
        return lazyResult(final(target), { ...prev, target }, () => `skyserve: next decision in ${num((interval - (now - prev.lastDecisionAt)) / 1000)}s`);
      }
      const qps = windowSum(input.samples, now, o.qpsWindowMs, 'arrivals') / (o.qpsWindowMs / 1000);
      const calc = clampReplicas(ceilReplicas(qps / o.targetQpsPerReplica), o.minReplicas, o.maxReplicas);
      const state: SkyServeState = { upCount: 0, downCount: 0, lastDecisionAt: now, target };
      if (target === 0) state.target = calc;
      else if (calc > target) {
        state.upCount = prev.upCount + 1;
        if (state.upCount >= upThreshold) {
          state.upCount = 0;
          state.target = calc;
        }
      } else if (calc < target) {
        state.downCount = prev.downCount + 1;
        if (state.downCount >= downThreshold) {
          state.downCount = 0;
          state.target = calc;
        }
      }
      const desired = final(state.target!);
      return lazyResult(
        desired,
        state,
        () =>
          `skyserve: qps ${num(qps)} / ${o.targetQpsPerReplica} per replica -> ${calc}; ` +
          `up ${state.upCount}/${upThreshold}, down ${state.downCount}/${downThreshold}; desired ${desired}`,
      );
    },
  };
}

/** The registry's SkyServe: the setup's or the spec's target QPS per replica, the spec's range. */
export const skyserve: PolicyEntry = {
  live: true,
  create(o) {
    const qps = o.targetQpsPerReplica ?? o.spec.targetQpsPerReplica;
    if (!(qps !== undefined && qps > 0)) {
      throw invalid('targetQpsPerReplica', 'skyserve scales on requests per second: give target qps per replica (> 0)');
    }
    return createSkyServePolicy({ targetQpsPerReplica: qps, maxReplicas: o.spec.maxReplicas, minReplicas: o.minReplicas });
  },
};
