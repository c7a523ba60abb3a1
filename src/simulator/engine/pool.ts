/**
 * A pool of worker threads sharing out the deployments of a multi-deployment trace (deployments are
 * simulated independently, so this is plain data parallelism). Results come back in deployment order.
 */
import { Worker } from 'node:worker_threads';
import type { PolicyName, PolicySetup } from '../policies.js';
import type { Trace } from '../traces/trace.js';
import type { DeploymentResult, SimOptions } from './options.js';
import type { WorkerMessage, WorkerReply } from './worker.js';

interface Share {
  worker: Worker;
  indices: number[];
}

export class SimPool {
  private readonly shares: Share[];
  private nextId = 1;

  constructor(parts: readonly Trace[], workers: number, engine: SimOptions['engine']) {
    // largest first, each to the least-loaded worker; the cost of a deployment is mostly policy ticks
    // while it has replicas, so weigh the minutes with arrivals, plus the requests
    const weight = parts.map(costEstimate);
    const order = parts.map((_, k) => k).sort((a, b) => weight[b] - weight[a] || a - b);
    const load = new Array<number>(workers).fill(0);
    const indices: number[][] = Array.from({ length: workers }, () => []);
    for (const k of order) {
      let w = 0;
      for (let j = 1; j < workers; j++) if (load[j] < load[w]) w = j;
      indices[w].push(k);
      load[w] += weight[k];
    }
    this.shares = indices.map((idx) => {
      const worker = new Worker(new URL('./worker.js', import.meta.url));
      const msg: WorkerMessage = { type: 'init', parts: idx.map((k) => parts[k]), engine };
      worker.postMessage(msg);
      return { worker, indices: idx };
    });
  }

  async run(policy: PolicyName, sim: SimOptions, setup: PolicySetup, total: number): Promise<DeploymentResult[]> {
    const out = new Array<DeploymentResult>(total);
    await Promise.all(
      this.shares.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            const id = this.nextId++;
            const onMessage = (r: WorkerReply) => {
              if (r.id !== id) return;
              s.worker.off('message', onMessage);
              s.worker.off('error', reject);
              if (r.error || !r.results) return reject(new Error(`simulator worker failed: ${r.error}`));
              r.results.forEach((res, j) => (out[s.indices[j]] = res));
              resolve();
            };
            s.worker.on('message', onMessage);
            s.worker.once('error', reject);
            const msg: WorkerMessage = { type: 'run', id, policy, sim, setup };
            s.worker.postMessage(msg);
          }),
      ),
    );
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.shares.map((s) => s.worker.terminate()));
  }
}

/** Rough simulation cost: minutes with arrivals (policy ticks while replicas are up) plus requests. */
function costEstimate(t: Trace): number {
  let minutes = 0;
  let last = -1;
  for (let i = 0; i < t.at.length; i++) {
    const m = Math.floor(t.at[i] / 60_000);
    if (m !== last) {
      minutes++;
      last = m;
    }
  }
  return minutes * 60 + t.at.length / 20 + 1;
}
