/**
 * Every scaling policy by name: the one registry the simulator and the live AutoscalerLoop both make
 * policies from, so what a user simulated they can also run (`deployment autoscale NAME --policy kpa`).
 * Adding a policy: a file that exports its PolicyEntry, and one line below.
 */
import { invalid } from '../core/errors.js';
import { hpa } from './baselines/hpa.js';
import { keda } from './baselines/keda.js';
import { kpa } from './baselines/kpa.js';
import { ray } from './baselines/ray.js';
import { skyserve } from './baselines/skyserve.js';
import { staticMean, staticPeak } from './baselines/static.js';
import { ours } from './ours.js';
import type { AutoscaleSpec, PolicyEntry, PolicySetup, ScalingPolicy } from './types.js';

const POLICIES = {
  ours,
  kpa,
  ray,
  hpa,
  keda,
  skyserve,
  'static-peak': staticPeak,
  'static-mean': staticMean,
} as const satisfies Record<string, PolicyEntry>;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as readonly PolicyName[];
/** the policies a live deployment may run (the rest need what only a trace gives) */
export const LIVE_POLICY_NAMES: readonly PolicyName[] = POLICY_NAMES.filter((n) => POLICIES[n].live);
export const DEFAULT_POLICY: PolicyName = 'ours';

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(POLICIES, name);
}

export function createPolicy(name: PolicyName, setup: PolicySetup): ScalingPolicy<unknown> {
  if (!isPolicyName(name)) throw invalid('policy', `unknown policy "${String(name)}" (known: ${POLICY_NAMES.join(', ')})`);
  return POLICIES[name].create(setup);
}

/** The policy a live deployment's spec names (default ours), with the spec's own minimum. */
export function livePolicy(spec: AutoscaleSpec): ScalingPolicy<unknown> {
  const name = spec.policy ?? DEFAULT_POLICY;
  if (!isPolicyName(name) || !POLICIES[name].live) {
    throw invalid('policy', `"${name}" does not run live (known: ${LIVE_POLICY_NAMES.join(', ')})`);
  }
  return createPolicy(name, { spec, minReplicas: spec.minReplicas });
}
