/**
 * Observability for the server, in one piece: the metrics history (store + 1 s sampler), cost
 * attribution, their API routes, and the web dashboard. server.ts creates it, lists its `routes` with the
 * API's, lets `handle` answer dashboard URLs, and starts/stops it with the reconciler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import type { RouteTable } from '../gateway/route-table.js';
import type { GatewayMetrics } from '../gateway/metrics.js';
import type { GpuDevice } from '../placement/inventory.js';
import { HistoryStore } from '../history/store.js';
import { HistorySampler, tokenCounter, type HistorySamplerOptions } from '../history/sampler.js';
import { historyRoutes } from '../history/history-api.js';
import { CostService, type CostServiceOptions } from '../cost/service.js';
import { costRoutes } from '../cost/cost-api.js';
import { serveDashboard } from './static.js';
import type { MountRoutes } from '../api/app.js';

export interface ObservabilityOptions {
  store: Store;
  routes: RouteTable;
  metrics: GatewayMetrics;
  clock: Clock;
  inventory: readonly GpuDevice[];
  log: (line: string) => void;
  /** other gateways' load (HA mode: the followers' reports) */
  remote?: HistorySamplerOptions['remote'];
  storage?: HistorySamplerOptions['storage'];
  /** GPUs one replica of a deployment is charged (DeploymentService.gpusPerReplica) */
  gpusPerReplica?: CostServiceOptions['gpusPerReplica'];
}

export interface Observability {
  history: HistoryStore;
  sampler: HistorySampler;
  cost: CostService;
  /** its REST routes: metrics history and cost */
  routes: MountRoutes;
  /** answers `/`, `/ui/...`; false for any other URL */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  start(): void;
  stop(): Promise<void>;
}

export function createObservability(o: ObservabilityOptions): Observability {
  const history = new HistoryStore(o.store.db);
  const sampler = new HistorySampler({
    clock: o.clock,
    history,
    store: o.store,
    routes: o.routes,
    tokens: tokenCounter(o.metrics.completionTokens),
    log: o.log,
    remote: o.remote,
    storage: o.storage,
  });
  const cost = new CostService({ store: o.store, history, clock: o.clock, inventory: o.inventory, gpusPerReplica: o.gpusPerReplica });
  sampler.onTick((now) => cost.sync(now));
  return {
    history,
    sampler,
    cost,
    routes(app) {
      historyRoutes(app, { history, store: o.store, clock: o.clock });
      costRoutes(app, cost);
    },
    handle: serveDashboard,
    start: () => sampler.start(),
    stop: () => sampler.stop(),
  };
}
