/**
 * Ray Serve's default autoscaling policy (python/ray/serve/autoscaling_policy.py), re-implemented from the
 * reference: total requests (running + queued) averaged over look_back_period_s (30 s), desired =
 * ceil(running + factor * (total / target - running)) clamped to [min, max]; a change must be proposed on
 * every tick for upscale_delay_s (30 s) or downscale_delay_s (600 s) before it is applied (Ray counts
 * control-loop ticks; we count the same run as a duration). With no running replica, queued requests scale
 * to >= 1 at once. Only the 1 -> 0 step reaches zero (after downscale_to_zero_delay_s).
 */
import { latestSample, loadOf, windowAverage } from '../pieces/average.js';
import { ceilReplicas, clampReplicas } from '../pieces/clamp.js';
import { withDefaults } from '../pieces/defaults.js';
import { lazyResult } from '../pieces/decision.js';
import type { LoadSample, PolicyInput, PolicyResult, ScalingPolicy, PolicyEntry } from '../types.js';
import { num } from '../units.js';

export interface RayOptions {
  targetOngoingRequests: number;
  minReplicas?: number;
  maxReplicas: number;
  upscaleDelayMs?: number;
  downscaleDelayMs?: number;
  /** default = downscaleDelayMs */
  downscaleToZeroDelayMs?: number;
  lookBackMs?: number;
  upscalingFactor?: number;
  downscalingFactor?: number;
  /** Ray's control loop runs every 100 ms */
  tickMs?: number;
}

export interface RayState {
  /** start of the current run of "desired above current" / "below current" */
  upSince?: number;
  downSince?: number;
}

export const RAY_DEFAULTS = {
  minReplicas: 1,
  upscaleDelayMs: 30_000,
  downscaleDelayMs: 600_000,
  lookBackMs: 30_000,
  upscalingFactor: 1,
  downscalingFactor: 1,
  tickMs: 100,
};

export function createRayPolicy(options: RayOptions): ScalingPolicy<RayState> {
  const o = withDefaults(RAY_DEFAULTS, options);
  const toZeroMs = options.downscaleToZeroDelayMs ?? o.downscaleDelayMs;
  return {
    name: 'ray',
    tickMs: o.tickMs,
    init: () => ({}),
    decide(input: PolicyInput, prev: RayState): PolicyResult<RayState> {
      const { now, replicas } = input;
      const current = replicas.desired;
      const running = replicas.ready;
      const last = latestSample(input.samples, now);
      const held = input.heldAtZero;
      // handles report queued requests too, including those waiting for a first replica
      const total = windowAverage(input.samples, now, o.lookBackMs, (s: LoadSample) => (s === last ? s.ongoing + Math.max(s.queued, held) : loadOf(s))) ?? held;
      const head = () => `ray: total ${num(total)} / target ${o.targetOngoingRequests}, running ${running}`;

      if (running === 0) {
        const desired = total > 0 || held > 0 ? Math.max(1, current) : current;
        return lazyResult(desired, {}, () => `${head()}; no running replica; desired ${desired}`);
      }
      const raw = total / o.targetOngoingRequests;
      const factor = raw >= running ? o.upscalingFactor : o.downscalingFactor;
      let n = clampReplicas(ceilReplicas(running + factor * (raw - running)), o.minReplicas, o.maxReplicas);
      if (n === 0 && current > 1) n = 1; // only the 1 -> 0 step reaches zero

      let desired = current;
      const state: RayState = {};
      let note = () => '';
      if (n > current) {
        const since = (state.upSince = prev.upSince ?? now);
        if (now - since >= o.upscaleDelayMs) {
          desired = n;
          state.upSince = undefined;
        } else note = () => `; up to ${n} in ${num((o.upscaleDelayMs - (now - since)) / 1000)}s`;
      } else if (n < current) {
        const since = (state.downSince = prev.downSince ?? now);
        const wait = current === 1 ? toZeroMs : o.downscaleDelayMs;
        if (now - since >= wait) {
          desired = n;
          state.downSince = undefined;
        } else note = () => `; down to ${n} in ${num((wait - (now - since)) / 1000)}s`;
      }
      return lazyResult(desired, state, () => `${head()} -> ${n}${note()}; desired ${desired}`);
    },
  };
}

/** The registry's Ray Serve: the spec's target and range. */
export const ray: PolicyEntry = {
  live: true,
  create: (o) => createRayPolicy({ targetOngoingRequests: o.spec.targetOngoingRequests, maxReplicas: o.spec.maxReplicas, minReplicas: o.minReplicas }),
};
