/**
 * Worker thread for multi-deployment traces: holds a share of the deployments and simulates them under each
 * policy it is asked for. Deployments are independent and seeded by name, so results do not depend on how
 * they are shared out.
 */
import { parentPort } from 'node:worker_threads';
import type { SimEngineParams } from '../../engines/sim/params.js';
import type { PolicyName, PolicySetup } from '../policies.js';
import { idealLoad, type IdealLoad } from '../references.js';
import type { Trace } from '../traces/trace.js';
import type { DeploymentResult, SimOptions } from './options.js';
import { runDeployment } from './run-deployment.js';

export type WorkerMessage =
  | { type: 'init'; parts: Trace[]; engine: SimEngineParams }
  | { type: 'run'; id: number; policy: PolicyName; sim: SimOptions; setup: PolicySetup };

export interface WorkerReply {
  id: number;
  results?: DeploymentResult[];
  error?: string;
}

let parts: Trace[] = [];
let loads: IdealLoad[] = [];

parentPort?.on('message', (m: WorkerMessage) => {
  if (m.type === 'init') {
    parts = m.parts;
    loads = parts.map((p) => idealLoad(p, m.engine));
    return;
  }
  try {
    const results = parts.map((p, k) => runDeployment(p, loads[k], m.policy, m.sim, m.setup));
    const transfer = results.flatMap((r) => [r.ttftMs.buffer, r.e2eMs.buffer]) as ArrayBuffer[];
    parentPort?.postMessage({ id: m.id, results } satisfies WorkerReply, transfer);
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) } satisfies WorkerReply);
  }
});
