/** Runs one deployment under one policy, the same way in-process and in a worker thread. */
import type { ScalingPolicy } from '../../autoscaler/types.js';
import { slowdownFactor } from '../../engines/sim/service-model.js';
import { policyFor, type PolicyName, type PolicySetup } from '../policies.js';
import type { IdealLoad } from '../references.js';
import type { Trace } from '../traces/trace.js';
import { DeploymentSim } from './deployment-sim.js';
import type { DeploymentResult, SimOptions } from './options.js';

export type PolicyChoice = PolicyName | ScalingPolicy<unknown> | ((part: Trace) => ScalingPolicy<unknown>);

export function runDeployment(part: Trace, load: IdealLoad, choice: PolicyChoice, base: SimOptions, setup: PolicySetup): DeploymentResult {
  const policy = typeof choice === 'string' ? policyFor(choice, part, load, setup) : typeof choice === 'function' ? choice(part) : choice;
  const initialReplicas = base.initialReplicas ?? warmReplicas(load, base, setup);
  // SkyServe has no request buffering: with no replica ready, requests fail (clients retry)
  const sim: SimOptions = { ...base, rejectWhenNoneReady: policy.name === 'skyserve', initialReplicas };
  return new DeploymentSim(part, policy, sim).run();
}

/**
 * Warm start: the deployment is taken to have served the traffic before the trace, so it starts with the
 * replicas the spec's target asks for at the first minute's load: the peak ideal concurrency of the first
 * 60 s, inflated by the batching slowdown at the target, over the target (at most maxReplicas).
 */
export function warmReplicas(load: IdealLoad, base: SimOptions, setup: PolicySetup): number {
  let peak = 0;
  for (let s = 0; s < 60 && s < load.peakPerSecond.length; s++) peak = Math.max(peak, load.peakPerSecond[s]);
  if (peak === 0) return 0;
  const target = setup.spec.targetOngoingRequests;
  const running = Math.min(Math.ceil(target), base.engine.maxNumSeqs);
  const n = Math.ceil((peak * slowdownFactor(running, base.engine)) / target);
  return Math.min(setup.spec.maxReplicas, Math.max(1, n));
}
