/**
 * Knative Serving KPA (knative/serving pkg/autoscaler/scaling/autoscaler.go `Scale()`), re-implemented
 * from the reference: stable (60 s) and panic (6 s) window averages of observed concurrency, panic at
 * 200% of ready capacity, no scale-down while panicking, rate limits relative to READY pods, and scale to
 * zero once the stable average is 0 (60 s after the last request) plus the 30 s grace period. At zero the
 * activator reports buffered requests at once, which triggers 0 -> 1.
 */
import { windowAverage, latestSample, loadOf } from '../pieces/average.js';
import { ceilReplicas, clampReplicas } from '../pieces/clamp.js';
import { withDefaults } from '../pieces/defaults.js';
import { lazyResult } from '../pieces/decision.js';
import type { LoadSample, PolicyInput, PolicyResult, ScalingPolicy, PolicyEntry } from '../types.js';
import { num } from '../units.js';

export interface KpaOptions {
  /** autoscaling.knative.dev/target: concurrent requests per pod (soft) */
  targetConcurrency: number;
  minReplicas?: number;
  maxReplicas: number;
  /** share of the target actually aimed at; Knative default 0.7 */
  targetUtilization?: number;
  stableWindowMs?: number;
  /** panic window as a share of the stable window; default 0.1 (6 s) */
  panicWindowShare?: number;
  panicThreshold?: number;
  maxScaleUpRate?: number;
  maxScaleDownRate?: number;
  scaleToZeroGraceMs?: number;
  tickMs?: number;
}

export interface KpaState {
  /** last time the panic threshold was crossed; undefined when not panicking */
  panicTime?: number;
  maxPanicPods: number;
  /** first tick of the current run of "want 0" */
  zeroSince?: number;
}

export const KPA_DEFAULTS = {
  targetUtilization: 0.7,
  stableWindowMs: 60_000,
  panicWindowShare: 0.1,
  panicThreshold: 2,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  scaleToZeroGraceMs: 30_000,
  tickMs: 2000,
};

export function createKpaPolicy(options: KpaOptions): ScalingPolicy<KpaState> {
  const o = withDefaults({ ...KPA_DEFAULTS, minReplicas: 0 }, options);
  const target = Math.max(0.01, o.targetConcurrency * o.targetUtilization);
  const panicWindowMs = o.stableWindowMs * o.panicWindowShare;
  return {
    name: 'kpa',
    tickMs: o.tickMs,
    init: () => ({ maxPanicPods: 0 }),
    decide(input: PolicyInput, prev: KpaState): PolicyResult<KpaState> {
      const { now, replicas } = input;
      const state: KpaState = { ...prev };
      // the activator's buffered requests are part of the newest second's concurrency
      const last = latestSample(input.samples, now);
      const held = input.heldAtZero;
      const observed = (s: LoadSample) => (s === last ? s.ongoing + Math.max(s.queued, held) : loadOf(s));
      const fallback = Math.max(held, 0);
      const stable = windowAverage(input.samples, now, o.stableWindowMs, observed) ?? fallback;
      const panic = windowAverage(input.samples, now, panicWindowMs, observed) ?? fallback;

      const ready = Math.max(1, replicas.ready);
      const maxUp = Math.ceil(o.maxScaleUpRate * ready);
      const maxDown = Math.floor(ready / o.maxScaleDownRate);
      const dS = Math.min(Math.max(ceilReplicas(stable / target), maxDown), maxUp);
      const dppc = ceilReplicas(panic / target);
      const dP = Math.min(Math.max(dppc, maxDown), maxUp);
      const over = dppc / ready >= o.panicThreshold;
      if (over) state.panicTime = now;
      else if (state.panicTime !== undefined && state.panicTime + o.stableWindowMs < now) {
        state.panicTime = undefined;
        state.maxPanicPods = 0;
      }
      let want = dS;
      if (state.panicTime !== undefined) {
        want = Math.max(state.maxPanicPods, dS, dP);
        state.maxPanicPods = want;
      }
      // at zero, buffered requests wake the revision at once
      if (replicas.desired === 0 && held > 0) want = Math.max(want, 1);
      let desired = clampReplicas(want, o.minReplicas, o.maxReplicas);
      let note = '';
      if (desired === 0) {
        state.zeroSince ??= now;
        if (replicas.desired > 0 && now - state.zeroSince < o.scaleToZeroGraceMs) {
          desired = 1;
          note = `; stable 0, grace ${num((now - state.zeroSince) / 1000)}s of ${o.scaleToZeroGraceMs / 1000}s`;
        }
      } else state.zeroSince = undefined;
      const mode = state.panicTime !== undefined ? `panicking (max ${state.maxPanicPods})` : 'stable';
      return lazyResult(
        desired,
        state,
        () =>
          `kpa ${mode}: stable ${num(stable)} -> ${dS}, panic ${num(panic)} -> ${dP} at target ${num(target)}; ` +
          `ready ${replicas.ready}${note}; desired ${desired}`,
      );
    },
  };
}

/** The registry's KPA: the spec's target and range. */
export const kpa: PolicyEntry = {
  live: true,
  create: (o) =>
    createKpaPolicy({
      targetConcurrency: o.spec.targetOngoingRequests,
      maxReplicas: o.spec.maxReplicas,
      minReplicas: o.minReplicas,
      targetUtilization: o.targetUtilization,
    }),
};
