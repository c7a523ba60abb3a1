/**
 * KEDA ScaledObject (kedacore/keda pkg/scaling/executor/scale_scaledobjects.go) with the HPA it creates,
 * re-implemented from the reference. KEDA polls its trigger every 30 s: at 0 replicas an active trigger
 * (metric > activationThreshold) scales 0 -> 1; between 1 and N the HPA (sync 15 s, External metric with
 * an AverageValue target) decides; once the trigger has been inactive for cooldownPeriod (300 s) KEDA sets
 * the replicas to 0 directly, from any N, bypassing the HPA's scale-down policy (keda#7770).
 * The trigger here is the gateway's total concurrency (ongoing + queued, held requests included), a
 * Prometheus query KEDA users write for vLLM; the HPA reads the same metric at each of its syncs.
 */
import { latestSample } from '../pieces/average.js';
import { withDefaults } from '../pieces/defaults.js';
import { lazyResult } from '../pieces/decision.js';
import type { PolicyInput, PolicyResult, ScalingPolicy, PolicyEntry } from '../types.js';
import { num } from '../units.js';
import { externalAverageReplicas, hpaStep, HPA_BEHAVIOR, initHpaState, type HpaBehavior, type HpaState } from './hpa.js';

export interface KedaOptions {
  targetValue: number;
  minReplicas?: number;
  maxReplicas?: number;
  pollingIntervalMs?: number;
  cooldownPeriodMs?: number;
  activationThreshold?: number;
  behavior?: Partial<HpaBehavior>;
  /** the HPA's sync period; default 15 s */
  tickMs?: number;
}

export interface KedaState {
  hpa: HpaState;
  lastPollAt: number;
  /** trigger state at the last poll */
  active: boolean;
  lastActiveAt: number;
}

export const KEDA_DEFAULTS = {
  minReplicas: 0,
  maxReplicas: 100,
  pollingIntervalMs: 30_000,
  cooldownPeriodMs: 300_000,
  activationThreshold: 0,
  tickMs: 15_000,
};

export function createKedaPolicy(options: KedaOptions): ScalingPolicy<KedaState> {
  const o = withDefaults(KEDA_DEFAULTS, options);
  const b = withDefaults(HPA_BEHAVIOR, options.behavior ?? {});
  const hpaMin = Math.max(1, o.minReplicas);
  return {
    name: 'keda',
    tickMs: o.tickMs,
    // no LastActiveTime yet: like KEDA, an idle target goes to zero at the first inactive poll
    init: () => ({ hpa: initHpaState(), lastPollAt: -Infinity, active: false, lastActiveAt: -Infinity }),
    decide(input: PolicyInput, prev: KedaState): PolicyResult<KedaState> {
      const { now, replicas } = input;
      const current = replicas.desired;
      const last = latestSample(input.samples, now);
      const metric = last ? last.ongoing + Math.max(last.queued, input.heldAtZero) : input.heldAtZero;
      const state: KedaState = { ...prev };
      if (now - prev.lastPollAt >= o.pollingIntervalMs) {
        state.lastPollAt = now;
        state.active = metric > o.activationThreshold;
        if (state.active) state.lastActiveAt = now;
      }
      const active = state.active;
      const head = () => `keda: metric ${num(metric)} (${active ? 'active' : 'inactive'} at last poll)`;
      if (current === 0) {
        const desired = state.active ? Math.max(1, o.minReplicas) : o.minReplicas;
        return lazyResult(desired, state, () => `${head()}; at zero -> ${desired}`);
      }
      if (o.minReplicas === 0 && !state.active && now - state.lastActiveAt >= o.cooldownPeriodMs) {
        const idle = (now - state.lastActiveAt) / 1000;
        return lazyResult(0, state, () => `${head()}; inactive ${num(idle)}s >= cooldown ${o.cooldownPeriodMs / 1000}s -> 0`);
      }
      const status = replicas.ready + replicas.starting;
      const rec = status === 0 ? current : externalAverageReplicas(status, metric, o.targetValue, b.tolerance);
      const step = hpaStep(now, current, rec, hpaMin, o.maxReplicas, b, prev.hpa);
      state.hpa = step.state;
      return lazyResult(
        step.desired,
        state,
        () => `${head()}; hpa ${num(metric)} / ${o.targetValue} over ${status} pods -> ${rec}${step.note}; desired ${step.desired}`,
      );
    },
  };
}

/** The registry's KEDA: the spec's target and range. */
export const keda: PolicyEntry = {
  live: true,
  create: (o) => createKedaPolicy({ targetValue: o.spec.targetOngoingRequests, maxReplicas: o.spec.maxReplicas, minReplicas: o.minReplicas }),
};
