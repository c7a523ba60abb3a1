/**
 * One policy instance per simulated deployment, set up comparably: every policy aims at the autoscale
 * spec's targetOngoingRequests per replica and its maxReplicas. Derived per deployment from the trace:
 *  - static-peak: ceil(peak ideal concurrency / target), static-mean: ceil(mean ideal concurrency / target),
 *    both at least 1 (a static deployment always runs);
 *  - SkyServe's target QPS per replica: target / mean ideal service time (Little's law), so its rate target
 *    means the same load per replica as the others' concurrency target.
 */
import { createPolicy, POLICY_NAMES, type PolicyName } from '../autoscaler/policies.js';
import type { AutoscaleSpec, ScalingPolicy } from '../autoscaler/types.js';
import { invalid } from '../core/errors.js';
import type { IdealLoad } from './references.js';
import type { Trace } from './traces/trace.js';

export { POLICY_NAMES, type PolicyName };

export interface PolicySetup {
  spec: AutoscaleSpec;
  /** minimum for the baselines; undefined = each project's own default */
  baselineMinReplicas?: number;
}

export function parsePolicyList(text: string): PolicyName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const all = names.length === 1 && names[0] === 'all';
  const list = all ? [...POLICY_NAMES] : names;
  for (const n of list) {
    if (!(POLICY_NAMES as readonly string[]).includes(n)) throw invalid('policy', `unknown policy "${n}" (known: ${POLICY_NAMES.join(', ')}, or all)`);
  }
  if (list.length === 0) throw invalid('policy', 'name at least one policy');
  return list as PolicyName[];
}

/** Replica counts the static policies run for one deployment. */
export function staticCounts(load: IdealLoad, durationMs: number, spec: AutoscaleSpec): { peak: number; mean: number } {
  const target = spec.targetOngoingRequests;
  const meanConcurrency = durationMs > 0 ? load.sequenceMs / durationMs : 0;
  const clamp = (x: number) => Math.min(spec.maxReplicas, Math.max(1, x));
  return { peak: clamp(Math.ceil(load.peak / target)), mean: clamp(Math.ceil(meanConcurrency / target)) };
}

export function policyFor(name: PolicyName, part: Trace, load: IdealLoad, setup: PolicySetup): ScalingPolicy<unknown> {
  const { spec } = setup;
  const n = part.at.length;
  const meanServiceS = n > 0 ? load.sequenceMs / n / 1000 : 1;
  const counts = name === 'static-peak' || name === 'static-mean' ? staticCounts(load, part.durationMs, spec) : undefined;
  return createPolicy(name, {
    spec,
    minReplicas: name === 'ours' ? undefined : setup.baselineMinReplicas,
    staticReplicas: counts ? (name === 'static-peak' ? counts.peak : counts.mean) : undefined,
    targetQpsPerReplica: spec.targetOngoingRequests / Math.max(1e-3, meanServiceS),
  });
}
