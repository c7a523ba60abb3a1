/**
 * Feeding the pool's verdicts back into the deployments' simulations, to a fixed point. Deployments are
 * simulated independently (and in worker threads), so the pool is replayed after the fact; what it did to a
 * deployment (starts that waited for room, sleepers evicted for host RAM) changes how that deployment serves,
 * which changes its replicas, which changes the pool. So: replay, give each deployment its constraints,
 * simulate again only those whose constraints changed, and replay again, until nothing changes or
 * `maxRounds` simulations again. The result says how many rounds ran and how many deployments still changed
 * in the last replay (0: a fixed point; otherwise the last simulations ran under the previous verdicts).
 */
import type { DeploymentResult } from '../engine/options.js';
import { replayPoolVerdicts, type PoolReplay, type PoolResult, type PoolSpec } from '../pool-model.js';
import { NO_CONSTRAINTS, sameConstraints, type PoolConstraints } from './constraints.js';

export interface FeedbackResult {
  deployments: DeploymentResult[];
  pool: PoolResult;
  /** simulations again (0: the first replay asked for nothing) */
  rounds: number;
  /** deployments re-simulated in each round */
  resimulated: number[];
  /** deployments whose constraints the last replay still changed (0: a fixed point) */
  stillChanging: number;
}

/** Called after each replay (round 0: of the first simulations) with the deployments as then and how many it changed. */
export type ReplayObserver = (round: number, results: readonly DeploymentResult[], replay: PoolReplay, changed: number) => void;

/**
 * `simulate(k, c)`: deployment k simulated under constraints c. `first`: the deployments simulated without
 * constraints.
 */
export function feedBack(
  first: readonly DeploymentResult[],
  simulate: (k: number, c: PoolConstraints) => DeploymentResult,
  spec: PoolSpec,
  endMs: number,
  maxRounds: number,
  observe?: ReplayObserver,
): FeedbackResult {
  const results = [...first];
  const given: PoolConstraints[] = results.map(() => NO_CONSTRAINTS);
  const resimulated: number[] = [];
  for (;;) {
    const replay = replayPoolVerdicts(results, spec, endMs);
    const changed: number[] = [];
    replay.constraints.forEach((c, k) => {
      if (!sameConstraints(c, given[k])) changed.push(k);
    });
    observe?.(resimulated.length, results, replay, changed.length);
    if (changed.length === 0 || resimulated.length >= maxRounds) {
      return { deployments: results, pool: replay.result, rounds: resimulated.length, resimulated, stillChanging: changed.length };
    }
    for (const k of changed) {
      given[k] = replay.constraints[k];
      results[k] = simulate(k, given[k]);
    }
    resimulated.push(changed.length);
  }
}
