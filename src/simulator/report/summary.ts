/** One policy's numbers from its per-deployment results. */
import type { PoolResult } from '../pool-model.js';
import type { DeploymentResult } from '../engine/options.js';
import type { References } from '../references.js';
import { sumCloudStats, type CloudReport } from '../cloud/report.js';
import { cdfPoints, finiteValues, fractionAtOrUnder, percentileOf, round, selectPercentiles, sortedFinite } from '../stats.js';

export interface PolicyReport {
  name: string;
  gpuHours: number;
  costUsd: number;
  /** fraction of all requests with TTFT at or under the SLO; failed requests count as misses */
  sloAttainment: number;
  /** latency percentiles over served requests, ms */
  ttftP50Ms: number;
  ttftP95Ms: number;
  ttftP99Ms: number;
  e2eP50Ms: number;
  e2eP95Ms: number;
  e2eP99Ms: number;
  requests: number;
  /** requests that got no answer: timed out in the queue, queue full, or refused with nothing ready */
  failed: number;
  timedOut: number;
  queueFull: number;
  rejected: number;
  /** replicas started during the trace (each loads the model) */
  coldStarts: number;
  /** decisions that changed the replica count */
  scalingActions: number;
  /** requests that waited because no replica was ready */
  heldAtZero: number;
  /** gpuHours / the work bound and / the foresight reference */
  vsWorkBound: number;
  vsForesight: number;
  /** sleeping replicas on: replicas woken instead of cold-started */
  wakes?: number;
  /** a pool given: the replicas replayed onto it (GPU-hours of powered GPUs) */
  pool?: PoolResult;
  /** the cloud model on: cost by capacity type, preemptions, retried and lost requests (costUsd is its cost) */
  cloud?: CloudReport;
}

export interface Summary {
  report: PolicyReport;
  /** [TTFT ms, fraction of all requests] */
  ttftCdf: [number, number][];
}

export function summarize(name: string, res: readonly DeploymentResult[], sloTtftMs: number, price: number, refs: References): Summary {
  let total = 0;
  for (const r of res) total += r.requests;
  const ttft = new Float64Array(total);
  const e2e = new Float64Array(total);
  let off = 0;
  let gpuMs = 0;
  let timedOut = 0;
  let queueFull = 0;
  let rejected = 0;
  let coldStarts = 0;
  let scalingActions = 0;
  let heldAtZero = 0;
  for (const r of res) {
    ttft.set(r.ttftMs, off);
    e2e.set(r.e2eMs, off);
    off += r.requests;
    gpuMs += r.gpuMs;
    timedOut += r.failedQueueTimeout;
    queueFull += r.failedQueueFull;
    rejected += r.failedRejected;
    coldStarts += r.coldStarts;
    scalingActions += r.scalingActions;
    heldAtZero += r.heldAtZero;
  }
  const st = sortedFinite(ttft);
  const [e50, e95, e99] = selectPercentiles(finiteValues(e2e), [50, 95, 99]);
  const gpuHours = gpuMs / 3_600_000;
  const ratio = (ref: number) => (ref > 0 ? round(gpuHours / ref, 3) : 0);
  const report: PolicyReport = {
    name,
    gpuHours: round(gpuHours, 4),
    costUsd: round(gpuHours * price, 2),
    sloAttainment: round(fractionAtOrUnder(st, total, sloTtftMs), 6),
    ttftP50Ms: round(percentileOf(st, 50), 1),
    ttftP95Ms: round(percentileOf(st, 95), 1),
    ttftP99Ms: round(percentileOf(st, 99), 1),
    e2eP50Ms: round(e50, 1),
    e2eP95Ms: round(e95, 1),
    e2eP99Ms: round(e99, 1),
    requests: total,
    failed: timedOut + queueFull + rejected,
    timedOut,
    queueFull,
    rejected,
    coldStarts,
    scalingActions,
    heldAtZero,
    vsWorkBound: ratio(refs.workBound.gpuHours),
    vsForesight: ratio(refs.foresight.gpuHours),
  };
  const cloud = sumCloudStats(res);
  if (cloud) {
    report.cloud = cloud;
    report.costUsd = cloud.costUsd;
    report.failed += cloud.cut;
  }
  return { report, ttftCdf: cdfPoints(st, total, 200) };
}
