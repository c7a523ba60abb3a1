/** Runs one deployment under one policy, the same way in-process and in a worker thread. */
import type { ScalingPolicy } from '../../autoscaler/types.js';
import { policyFor, type PolicyName, type PolicySetup } from '../policies.js';
import type { IdealLoad } from '../references.js';
import type { Trace } from '../traces/trace.js';
import { DeploymentSim } from './deployment-sim.js';
import type { DeploymentResult, SimOptions } from './options.js';

export type PolicyChoice = PolicyName | ScalingPolicy<unknown> | ((part: Trace) => ScalingPolicy<unknown>);

export function runDeployment(part: Trace, load: IdealLoad, choice: PolicyChoice, base: SimOptions, setup: PolicySetup): DeploymentResult {
  const policy = typeof choice === 'string' ? policyFor(choice, part, load, setup) : typeof choice === 'function' ? choice(part) : choice;
  // warm start: the replicas the first second's load needs are up, as if the deployment ran before the trace
  const first = load.peakPerSecond[0] ?? 0;
  const initialReplicas = Math.ceil(first / base.engine.maxNumSeqs);
  // SkyServe has no request buffering: with no replica ready, requests fail (clients retry)
  const sim: SimOptions = { ...base, rejectWhenNoneReady: policy.name === 'skyserve', initialReplicas };
  return new DeploymentSim(part, policy, sim).run();
}
