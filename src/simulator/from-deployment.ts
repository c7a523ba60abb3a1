/**
 * `simulate --deployment NAME --since 7d`: replays a live deployment's own recorded traffic (the
 * gateway's request log: arrival, tokens; never content) with its own autoscale spec, engine params and
 * measured cold start (estimated as the live autoscaler does), so "what would this config have cost last week" needs no trace file.
 */
import type { ApiClient } from '../cli/client.js';
import { InferscaleError } from '../core/errors.js';
import { estimateColdStartMs } from '../autoscaler/coldstart.js';
import type { AutoscaleSpec } from '../autoscaler/types.js';
import { traceFromRequestLog, type Trace } from './traces/trace.js';

export interface DeploymentReplay {
  trace: Trace;
  spec: AutoscaleSpec | null;
  /** the deployment's engine params when it runs the engine simulator (whose service model the simulator uses) */
  engineParams: string | null;
  /** median measured cold start of its replicas, if any was measured */
  coldStartMs: number | null;
  gpuCount: number;
}

export async function loadDeploymentReplay(client: ApiClient, name: string, since: string): Promise<DeploymentReplay> {
  const d = await client.call<{
    autoscale: AutoscaleSpec | null;
    engine: string;
    engineParams: string;
    gpuCount: number;
    replicaDetails: { coldStartMs: number | null }[];
  }>('GET', `/deployments/${encodeURIComponent(name)}`);
  const log = await client.call<{ rows: [number, number, number, number | null, number][] }>(
    'GET',
    `/deployments/${encodeURIComponent(name)}/request-log?since=${encodeURIComponent(since)}`,
  );
  if (!log.rows.length)
    throw new InferscaleError('invalid_argument', `--deployment: "${name}" has no recorded requests in the last ${since}`, { field: 'deployment' });
  const trace = traceFromRequestLog(
    log.rows.map(([at, promptTokens, completionTokens]) => ({ at, promptTokens, completionTokens })),
    name,
  );
  const colds = d.replicaDetails.map((r) => r.coldStartMs).filter((x): x is number => x !== null);
  // the live autoscaler's own estimate (median of the last starts), so the replay pre-warms as live does
  const coldStartMs = estimateColdStartMs(colds, Number.NaN);
  return {
    trace,
    spec: d.autoscale,
    engineParams: d.engine === 'sim' ? d.engineParams : null,
    coldStartMs: Number.isNaN(coldStartMs) ? null : coldStartMs,
    gpuCount: d.gpuCount,
  };
}
