/**
 * Fixed replica counts: "static-peak" (enough for the trace's peak, what a careful operator runs without
 * an autoscaler) and "static-mean" (the average, what a cost-minded one runs). The simulator computes the
 * count from the trace and passes it in.
 */
import { invalid } from '../../core/errors.js';
import type { PolicyEntry, PolicySetup, ScalingPolicy } from '../types.js';

export function createStaticPolicy(name: string, replicas: number): ScalingPolicy<null> {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw invalid('staticReplicas', `must be a whole number >= 0 (got ${replicas})`);
  }
  return {
    name,
    tickMs: 60_000,
    init: () => null,
    decide: () => ({ desired: replicas, reason: `${name}: fixed at ${replicas}`, state: null }),
  };
}

function fixed(name: string): PolicyEntry {
  return {
    live: false,
    create(o: PolicySetup) {
      if (o.staticReplicas === undefined) throw invalid('staticReplicas', `required for ${name}`);
      return createStaticPolicy(name, o.staticReplicas);
    },
  };
}

/** The registry's static policies: simulator only (the count comes from the trace). */
export const staticPeak = fixed('static-peak');
export const staticMean = fixed('static-mean');
