/**
 * The simulator's programmatic API: run policies over a trace and summarise. `simulate` runs several
 * policies and the references; `simulateOne` runs one policy and also returns the ready-replica timeline
 * and raw totals (for the fidelity test against the live system).
 */
import { roundPool, type PoolSpec } from './pool-model.js';
import { feedBack, type ReplayObserver } from './pool/feedback.js';
import { DEFAULT_AUTOSCALE } from '../autoscaler/spec.js';
import type { AutoscaleSpec } from '../autoscaler/types.js';
import { DEFAULT_SIM_PARAMS, type SimEngineParams } from '../engines/sim/params.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_SIM_OPTIONS, type DeploymentResult, type SimOptions } from './engine/options.js';
import { SimPool } from './engine/pool.js';
import { runDeployment, type PolicyChoice } from './engine/run-deployment.js';
import { POLICY_NAMES, type PolicyName } from './policies.js';
import { foresightSchedule, idealLoad, referencesFromLoads, type IdealLoad } from './references.js';
import { PlotCollector, type PlotData } from './report/plots.js';
import { summarize, type PolicyReport } from './report/summary.js';
import { round } from './stats.js';
import { describeCloud } from './cloud/describe.js';
import type { CloudOptions } from './cloud/options.js';
import { splitByDeployment, type Trace } from './traces/trace.js';
import type { PoolConstraints } from './pool/constraints.js';

export interface SimulateOptions {
  trace: Trace;
  /** default: all */
  policies?: readonly PolicyName[];
  engine?: SimEngineParams;
  /** the autoscale spec under test (ours), whose target and max the baselines share */
  spec?: AutoscaleSpec;
  /** minimum replicas for the baselines; default each project's own */
  baselineMinReplicas?: number;
  coldStartMs?: number;
  gpuCount?: number;
  /** USD per GPU-hour; default 2.00 (an on-demand A100 40/80 GB at the large clouds is ~$2-4) */
  pricePerGpuHour?: number;
  sloTtftMs?: number;
  seed?: number;
  maxQueued?: number;
  queueTimeoutMs?: number;
  maxOngoingPerReplica?: number;
  idleProbeMs?: number;
  tickFloorMs?: number;
  /** points per plot series (HTML report); default 600 */
  plotPoints?: number;
  /** worker threads for multi-deployment traces; default: up to 4 for big ones, else 0 (in-process) */
  workers?: number;
  /**
   * replicas already running (warm) at the start of the trace, per deployment; default: what the spec's
   * target asks for at the first minute's load (see warmReplicas), as if the deployment ran before the trace
   */
  initialReplicas?: number;
  /** sleeping replicas instead of stopped ones (see SimOptions.sleep); default off */
  sleep?: SimOptions['sleep'];
  /**
   * also replay each policy's replicas onto this pool of GPUs (src/simulator/pool-model.ts), feeding its
   * verdicts (waits for room, evicted sleepers) back into the deployments' simulations (pool/feedback.ts)
   */
  pool?: PoolSpec;
  /** the cloud model: capacity types, zones, spot preemptions, prices (src/simulator/cloud/); absent: none */
  cloud?: CloudOptions;
  /** with a pool: at most this many rounds of simulations again; default DEFAULT_POOL_ROUNDS */
  poolRounds?: number;
}

/** rounds of the pool's feedback: on the 500 Azure functions the deployments still changing fall off by round 3 (docs/gpus.md) */
export const DEFAULT_POOL_ROUNDS = 3;

export interface SimulationReport {
  trace: { name: string; description: string; requests: number; deployments: number; durationS: number };
  settings: Record<string, unknown>;
  references: {
    workBound: { gpuHours: number; costUsd: number };
    foresight: { gpuHours: number; costUsd: number; peakReplicas: number };
  };
  policies: PolicyReport[];
  /** plot series for the HTML report (left out of the JSON output) */
  plots?: PlotData;
  /** wall-clock seconds per policy (left out of the JSON output, which must be reproducible) */
  timings?: Record<string, number>;
}

export const DEFAULT_PRICE_PER_GPU_HOUR = 2;

interface Prepared {
  parts: Trace[];
  loads: IdealLoad[];
  sim: SimOptions;
  spec: AutoscaleSpec;
  price: number;
}

function prepare(o: SimulateOptions): Prepared {
  const engine = o.engine ?? DEFAULT_SIM_PARAMS;
  const parts = splitByDeployment(o.trace);
  const sim: SimOptions = {
    engine,
    coldStartMs: o.coldStartMs ?? DEFAULT_SIM_OPTIONS.coldStartMs,
    gpuCount: o.gpuCount ?? DEFAULT_SIM_OPTIONS.gpuCount,
    maxOngoingPerReplica: o.maxOngoingPerReplica,
    maxQueued: o.maxQueued ?? DEFAULT_SIM_OPTIONS.maxQueued,
    queueTimeoutMs: o.queueTimeoutMs ?? DEFAULT_SIM_OPTIONS.queueTimeoutMs,
    sloTtftMs: o.sloTtftMs ?? DEFAULT_SIM_OPTIONS.sloTtftMs,
    seed: o.seed ?? DEFAULT_SIM_OPTIONS.seed,
    idleProbeMs: o.idleProbeMs ?? DEFAULT_SIM_OPTIONS.idleProbeMs,
    tickFloorMs: o.tickFloorMs,
    initialReplicas: o.initialReplicas,
    sleep: o.sleep,
    ...(o.cloud ? { cloud: o.cloud } : {}),
  };
  return {
    parts,
    loads: parts.map((p) => idealLoad(p, engine)),
    sim,
    spec: o.spec ?? DEFAULT_AUTOSCALE,
    price: o.pricePerGpuHour ?? DEFAULT_PRICE_PER_GPU_HOUR,
  };
}

function runPolicy(prep: Prepared, choice: PolicyChoice, baselineMin: number | undefined): DeploymentResult[] {
  const setup = { spec: prep.spec, baselineMinReplicas: baselineMin };
  return prep.parts.map((part, k) => runDeployment(part, prep.loads[k], choice, prep.sim, setup));
}

/** Worker threads for a multi-deployment trace big enough to gain from them; 0 = in-process. */
export function defaultWorkers(parts: readonly Trace[]): number {
  let n = 0;
  for (const p of parts) n += p.at.length;
  return parts.length >= 8 && n >= 200_000 ? Math.min(4, availableParallelism()) : 0;
}

/** Runs the policies (in worker threads for big multi-deployment traces) and the references. */
export async function simulate(o: SimulateOptions): Promise<SimulationReport> {
  const prep = prepare(o);
  const { sim, price } = prep;
  const refs = referencesFromLoads(prep.loads, sim.engine, sim.coldStartMs, sim.gpuCount);
  const names = o.policies ?? POLICY_NAMES;
  const policies: PolicyReport[] = [];
  const timings: Record<string, number> = {};
  const plots = new PlotCollector(o.trace.durationMs, o.plotPoints ?? 600);
  plots.setLoad(prep.loads.map((load) => foresightSchedule(load, sim.engine.maxNumSeqs, sim.coldStartMs, sim.gpuCount).needed));
  const workers = o.workers ?? defaultWorkers(prep.parts);
  const pool = workers > 1 ? new SimPool(prep.parts, workers, sim.engine) : undefined;
  const setup = { spec: prep.spec, baselineMinReplicas: o.baselineMinReplicas };
  try {
    for (const name of names) {
      const t = performance.now();
      let res = pool ? await pool.run(name, sim, setup, prep.parts.length) : runPolicy(prep, name, o.baselineMinReplicas);
      const fed = o.pool ? onPool(prep, name, o, res, o.pool) : undefined;
      if (fed) res = fed.deployments;
      timings[name] = (performance.now() - t) / 1000;
      const s = summarize(name, res, sim.sloTtftMs, price, refs);
      if (o.sleep) s.report.wakes = res.reduce((n, r) => n + (r.wakes ?? 0), 0);
      if (fed) s.report.pool = fed.pool;
      policies.push(s.report);
      plots.addPolicy(name, res, s.ttftCdf);
    }
  } finally {
    await pool?.close();
  }
  return {
    trace: {
      name: o.trace.name,
      description: o.trace.description,
      requests: o.trace.at.length,
      deployments: o.trace.deployments.length,
      durationS: round(o.trace.durationMs / 1000, 3),
    },
    settings: {
      engine: sim.engine,
      autoscale: prep.spec,
      baselineMinReplicas: o.baselineMinReplicas ?? 'each project default',
      coldStartS: sim.coldStartMs / 1000,
      gpuCount: sim.gpuCount,
      pricePerGpuHour: price,
      sloTtftMs: sim.sloTtftMs,
      seed: sim.seed,
      maxOngoingPerReplica: sim.maxOngoingPerReplica ?? sim.engine.maxNumSeqs,
      maxQueued: sim.maxQueued,
      queueTimeoutS: sim.queueTimeoutMs / 1000,
      idleProbeS: (sim.idleProbeMs ?? 0) / 1000,
      ...(o.cloud ? { cloud: describeCloud(o.cloud, o.trace.durationMs) } : {}),
    },
    references: {
      workBound: { gpuHours: round(refs.workBound.gpuHours, 4), costUsd: round(refs.workBound.gpuHours * price, 2) },
      foresight: {
        gpuHours: round(refs.foresight.gpuHours, 4),
        costUsd: round(refs.foresight.gpuHours * price, 2),
        peakReplicas: refs.foresight.peakReplicas,
      },
    },
    policies,
    plots: plots.result(),
    timings,
  };
}

/** The pool's verdicts fed back into the deployments (re-simulated in-process), with the pool's result. */
function onPool(
  prep: Prepared,
  policy: PolicyChoice,
  o: Pick<SimulateOptions, 'baselineMinReplicas' | 'poolRounds' | 'trace'>,
  first: DeploymentResult[],
  spec: PoolSpec,
) {
  const setup = { spec: prep.spec, baselineMinReplicas: o.baselineMinReplicas };
  const again = (k: number, pool: PoolConstraints) => runDeployment(prep.parts[k], prep.loads[k], policy, { ...prep.sim, pool }, setup);
  const trail: PoolRound[] = [];
  const observe: ReplayObserver = (round, res, replay, changed) => {
    const p = replay.result;
    trail.push({
      round,
      changed,
      attainment: attainmentOf(res, prep.sim.sloTtftMs),
      unplaced: p.unplaced,
      pendingHours: p.pendingHours,
      evictions: p.evictions,
    });
  };
  const fed = feedBack(first, again, spec, o.trace.durationMs, o.poolRounds ?? DEFAULT_POOL_ROUNDS, observe);
  return {
    deployments: fed.deployments,
    pool: { ...roundPool(fed.pool), rounds: fed.rounds, stillChanging: fed.stillChanging },
    resimulated: fed.resimulated,
    trail,
  };
}

/** What one replay of the pool found (round 0: the deployments simulated without its verdicts). */
export interface PoolRound {
  round: number;
  /** deployments whose verdicts this replay changed */
  changed: number;
  /** SLO attainment of the deployments as replayed (under the previous round's verdicts) */
  attainment: number;
  unplaced: number;
  pendingHours: number;
  evictions: number;
}

/** The share of all requests whose TTFT met the SLO (failed requests miss it). */
function attainmentOf(res: readonly DeploymentResult[], sloTtftMs: number): number {
  let met = 0;
  let total = 0;
  for (const r of res) {
    total += r.requests;
    for (const x of r.ttftMs) if (x <= sloTtftMs) met++;
  }
  return total === 0 ? 1 : met / total;
}

/**
 * One policy's deployments, already simulated without a pool (`first`, e.g. simulateOne's), put onto a pool
 * with its verdicts fed back: the report then counts what the pool did (waits for room, evicted sleepers).
 */
export function simulateOnPool(
  trace: Trace,
  policy: PolicyChoice,
  first: DeploymentResult[],
  pool: PoolSpec,
  o: Omit<SimulateOptions, 'trace' | 'policies' | 'pool'> = {},
): SimulateOneResult & { resimulated: number[]; trail: PoolRound[] } {
  const prep = prepare({ ...o, trace });
  const fed = onPool(prep, policy, { ...o, trace }, first, pool);
  const out = reportOne(prep, policy, fed.deployments);
  out.report.pool = fed.pool;
  return { ...out, resimulated: fed.resimulated, trail: fed.trail };
}

export interface SimulateOneResult {
  report: PolicyReport;
  gpuSeconds: number;
  /** median end-to-end latency of served requests, ms */
  p50LatencyMs: number;
  ttftP50Ms: number;
  /** ready (and starting) replicas over time, summed over deployments; t in ms from the trace start */
  readyTimeline: { t: number[]; ready: number[]; starting: number[] };
  deployments: DeploymentResult[];
}

/** One policy (by name, an instance for a single-deployment trace, or a factory per deployment). */
export function simulateOne(trace: Trace, policy: PolicyChoice, o: Omit<SimulateOptions, 'trace' | 'policies'> = {}): SimulateOneResult {
  const prep = prepare({ ...o, trace });
  if (typeof policy === 'object' && prep.parts.length > 1) {
    throw new TypeError('simulateOne: pass a policy name or a factory for a multi-deployment trace (one policy instance per deployment)');
  }
  const res = runPolicy(prep, policy, o.baselineMinReplicas);
  if (!o.pool) return reportOne(prep, policy, res);
  const fed = onPool(prep, policy, { ...o, trace }, res, o.pool);
  const out = reportOne(prep, policy, fed.deployments);
  out.report.pool = fed.pool;
  return out;
}

function reportOne(prep: Prepared, policy: PolicyChoice, res: DeploymentResult[]): SimulateOneResult {
  const refs = referencesFromLoads(prep.loads, prep.sim.engine, prep.sim.coldStartMs, prep.sim.gpuCount);
  const name = typeof policy === 'string' ? policy : typeof policy === 'function' ? 'custom' : policy.name;
  const report = summarize(name, res, prep.sim.sloTtftMs, prep.price, refs).report;
  let gpuMs = 0;
  for (const r of res) gpuMs += r.gpuMs;
  return { report, gpuSeconds: gpuMs / 1000, p50LatencyMs: report.e2eP50Ms, ttftP50Ms: report.ttftP50Ms, readyTimeline: mergeTimelines(res), deployments: res };
}

function mergeTimelines(res: DeploymentResult[]): { t: number[]; ready: number[]; starting: number[] } {
  if (res.length === 1) {
    const tl = res[0].timeline;
    return { t: [...tl.t], ready: [...tl.ready], starting: [...tl.starting] };
  }
  const points: { t: number; k: number; ready: number; starting: number }[] = [];
  res.forEach((r, k) => r.timeline.t.forEach((t, i) => points.push({ t, k, ready: r.timeline.ready[i], starting: r.timeline.starting[i] })));
  points.sort((a, b) => a.t - b.t || a.k - b.k);
  const curReady = new Float64Array(res.length);
  const curStarting = new Float64Array(res.length);
  let sr = 0;
  let ss = 0;
  const out = { t: [] as number[], ready: [] as number[], starting: [] as number[] };
  for (const p of points) {
    sr += p.ready - curReady[p.k];
    ss += p.starting - curStarting[p.k];
    curReady[p.k] = p.ready;
    curStarting[p.k] = p.starting;
    const n = out.t.length;
    if (n > 0 && out.t[n - 1] === p.t) {
      out.ready[n - 1] = sr;
      out.starting[n - 1] = ss;
    } else {
      out.t.push(p.t);
      out.ready.push(sr);
      out.starting.push(ss);
    }
  }
  return out;
}
