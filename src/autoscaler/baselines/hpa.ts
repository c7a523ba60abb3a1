/**
 * Kubernetes HPA v2 (pkg/controller/podautoscaler: replica_calculator.go, horizontal.go), re-implemented
 * from the reference, on a Pods metric "concurrency = ongoing + queued per pod" with target
 * targetOngoingRequests. Sync every 15 s, tolerance 0.1; the metric is averaged over READY pods only;
 * starting pods have no metric and are counted as 0 for a scale-up and as at-target for a scale-down
 * (HPA's missing-pods rule); scale-up stabilization 0 s with {4 pods, 100%} per 15 s (the larger);
 * scale-down stabilization 300 s with 100% per 15 s; minReplicas >= 1 (no scale to zero).
 * `hpaStep` is shared with KEDA, which feeds it an External AverageValue metric instead.
 */
import { loadOf, windowAverage } from '../pieces/average.js';
import { ceilReplicas, clampReplicas } from '../pieces/clamp.js';
import { withDefaults } from '../pieces/defaults.js';
import { changedWithin, recordScaleEvent, type ScaleEvent } from '../pieces/rate-limit.js';
import { recordRecommendation, stabilize, type Recommendation } from '../pieces/stabilize.js';
import { lazyResult } from '../pieces/decision.js';
import type { PolicyInput, PolicyResult, ScalingPolicy, PolicyEntry } from '../types.js';
import { num } from '../units.js';

export interface HpaBehavior {
  tolerance: number;
  upStabilizationMs: number;
  downStabilizationMs: number;
  /** scale-up policies per period: add this many pods, or this percent; the larger wins */
  upPods: number;
  upPercent: number;
  /** scale-down: remove at most this percent per period */
  downPercent: number;
  periodMs: number;
}

export const HPA_BEHAVIOR: HpaBehavior = {
  tolerance: 0.1,
  upStabilizationMs: 0,
  downStabilizationMs: 300_000,
  upPods: 4,
  upPercent: 100,
  downPercent: 100,
  periodMs: 15_000,
};

export interface HpaState {
  recs: Recommendation[];
  ups: ScaleEvent[];
  downs: ScaleEvent[];
}

export const initHpaState = (): HpaState => ({ recs: [], ups: [], downs: [] });

/** HPA's calcPlainMetricReplicas for a Pods metric: `total` spread over `ready` pods, `missing` without metric. */
export function podsMetricReplicas(current: number, total: number, ready: number, missing: number, target: number, tolerance: number): number {
  if (ready === 0) return current; // no metrics at all: HPA does not act
  const ratio = total / ready / target;
  if (missing === 0) return Math.abs(1 - ratio) <= tolerance ? current : ceilReplicas(ratio * ready);
  const assumed = ratio < 1 ? target * missing : 0;
  const newRatio = (total + assumed) / (ready + missing) / target;
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current;
  const n = ceilReplicas(newRatio * (ready + missing));
  if ((newRatio < 1 && n > current) || (newRatio > 1 && n < current)) return current;
  return n;
}

/** HPA's External metric with an AverageValue target (how KEDA drives the HPA). */
export function externalAverageReplicas(statusReplicas: number, total: number, target: number, tolerance: number): number {
  if (statusReplicas === 0) return 0;
  const ratio = total / (target * statusReplicas);
  return Math.abs(1 - ratio) <= tolerance ? statusReplicas : ceilReplicas(total / target);
}

/** Stabilization, rate policies and bounds (normalizeDesiredReplicasWithBehaviors). */
export function hpaStep(
  now: number,
  current: number,
  recommendation: number,
  min: number,
  max: number,
  b: HpaBehavior,
  prev: HpaState,
): { desired: number; state: HpaState; note: string } {
  const keep = Math.max(b.upStabilizationMs, b.downStabilizationMs) + 1;
  // like the controller, seed the history with the current count so a restart does not scale down at once
  const seeded = prev.recs.length ? prev.recs : [{ at: now - 1, replicas: current }];
  const recs = recordRecommendation(seeded, { at: now, replicas: recommendation }, keep);
  const stabilized = stabilize(recs, now, current, recommendation, b.upStabilizationMs, b.downStabilizationMs);
  const added = changedWithin(prev.ups, now, b.periodMs);
  const removed = changedWithin(prev.downs, now, b.periodMs);
  const upStart = current - added;
  const upLimit = Math.max(current, Math.max(upStart + b.upPods, Math.ceil(upStart * (1 + b.upPercent / 100))));
  const downStart = current + removed;
  const downLimit = Math.ceil(downStart * (1 - b.downPercent / 100));
  let desired = Math.min(Math.max(stabilized, downLimit), upLimit);
  let note = '';
  if (desired !== stabilized) note = `; rate limited to ${desired}`;
  if (stabilized !== recommendation) note += `; stabilized ${recommendation} -> ${stabilized}`;
  desired = clampReplicas(desired, min, max);
  const state: HpaState = {
    recs,
    ups: recordScaleEvent(prev.ups, now, desired - current, b.periodMs),
    downs: recordScaleEvent(prev.downs, now, current - desired, b.periodMs),
  };
  return { desired, state, note };
}

export interface HpaOptions {
  targetOngoingRequests: number;
  minReplicas?: number;
  maxReplicas: number;
  behavior?: Partial<HpaBehavior>;
  /** how far back the custom metric pipeline averages; default 60 s (a Prometheus adapter `[1m]` query) */
  metricWindowMs?: number;
  /** sync period; default 15 s */
  tickMs?: number;
}

export function createHpaPolicy(options: HpaOptions): ScalingPolicy<HpaState> {
  const b = withDefaults(HPA_BEHAVIOR, options.behavior ?? {});
  const min = Math.max(1, options.minReplicas ?? 1);
  const windowMs = options.metricWindowMs ?? 60_000;
  return {
    name: 'hpa',
    tickMs: options.tickMs ?? 15_000,
    init: initHpaState,
    decide(input: PolicyInput, prev: HpaState): PolicyResult<HpaState> {
      const { now, replicas } = input;
      const current = replicas.desired;
      // per-pod metrics come from ready pods only; the gateway's queue is not a pod metric unless a pod reports it
      const total = windowAverage(input.samples, now, windowMs, loadOf) ?? 0;
      const rec = podsMetricReplicas(current, total, replicas.ready, replicas.starting, options.targetOngoingRequests, b.tolerance);
      const step = hpaStep(now, current, rec, min, options.maxReplicas, b, prev);
      const per = replicas.ready ? total / replicas.ready : 0;
      return lazyResult(
        step.desired,
        step.state,
        () =>
          `hpa: ${num(per)} per ready pod (${replicas.ready} ready, ${replicas.starting} without metrics) vs target ` +
          `${options.targetOngoingRequests} -> ${rec}${step.note}; desired ${step.desired}`,
      );
    },
  };
}

/** The registry's HPA: the spec's target and range. */
export const hpa: PolicyEntry = {
  live: true,
  create: (o) => createHpaPolicy({ targetOngoingRequests: o.spec.targetOngoingRequests, maxReplicas: o.spec.maxReplicas, minReplicas: o.minReplicas }),
};
