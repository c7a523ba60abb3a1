/**
 * Every policy by name, set up comparably for the simulator: one target concurrency per replica, one
 * replica range. Each baseline keeps its project's own defaults for everything else (windows, delays,
 * ticks, rates) and its own default minimum unless `minReplicas` is given.
 */
import { invalid } from '../../core/errors.js';
import { createOurPolicy } from '../ours.js';
import { buildAutoscaleSpec } from '../spec.js';
import type { AutoscaleSpec, ScalingPolicy } from '../types.js';
import { createHpaPolicy } from './hpa.js';
import { createKedaPolicy } from './keda.js';
import { createKpaPolicy } from './kpa.js';
import { createRayPolicy } from './ray.js';
import { createSkyServePolicy } from './skyserve.js';
import { createStaticPolicy } from './static.js';

export const POLICY_NAMES = ['ours', 'kpa', 'ray', 'hpa', 'keda', 'skyserve', 'static-peak', 'static-mean'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicyOptions {
  /** ours: the full spec; when absent, one is built from the fields below and the defaults */
  spec?: AutoscaleSpec;
  /** requests in flight (ongoing + queued) per replica that each policy aims at */
  targetConcurrency: number;
  maxReplicas: number;
  /** default: each project's own (ours 1, KPA 0, Ray 1, HPA 1, KEDA 0, SkyServe 1) */
  minReplicas?: number;
  /** static-peak / static-mean */
  staticReplicas?: number;
  /** SkyServe scales on request rate, not concurrency */
  targetQpsPerReplica?: number;
  /** KPA aims at targetConcurrency x this (Knative default 0.7); pass 1 to aim at the same load as the others */
  targetUtilization?: number;
}

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

export function createPolicy(name: PolicyName, opts: PolicyOptions): ScalingPolicy<unknown> {
  if (!(opts.targetConcurrency > 0)) throw invalid('targetConcurrency', 'must be greater than 0');
  if (!(opts.maxReplicas >= 1)) throw invalid('maxReplicas', 'must be at least 1');
  const { targetConcurrency: target, maxReplicas, minReplicas } = opts;
  switch (name) {
    case 'ours': {
      const spec =
        opts.spec ??
        buildAutoscaleSpec({ targetOngoingRequests: target, maxReplicas, ...(minReplicas === undefined ? {} : { minReplicas }) });
      return createOurPolicy(spec);
    }
    case 'kpa':
      return createKpaPolicy({ targetConcurrency: target, maxReplicas, minReplicas, targetUtilization: opts.targetUtilization });
    case 'ray':
      return createRayPolicy({ targetOngoingRequests: target, maxReplicas, minReplicas });
    case 'hpa':
      return createHpaPolicy({ targetOngoingRequests: target, maxReplicas, minReplicas });
    case 'keda':
      return createKedaPolicy({ targetValue: target, maxReplicas, minReplicas });
    case 'skyserve':
      if (!(opts.targetQpsPerReplica && opts.targetQpsPerReplica > 0)) {
        throw invalid('targetQpsPerReplica', 'skyserve scales on requests per second: give target qps per replica (> 0)');
      }
      return createSkyServePolicy({ targetQpsPerReplica: opts.targetQpsPerReplica, maxReplicas, minReplicas });
    case 'static-peak':
    case 'static-mean':
      if (opts.staticReplicas === undefined) throw invalid('staticReplicas', `required for ${name}`);
      return createStaticPolicy(name, opts.staticReplicas);
    default:
      throw invalid('policy', `unknown policy "${String(name)}" (known: ${POLICY_NAMES.join(', ')})`);
  }
}
