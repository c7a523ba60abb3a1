/**
 * Fidelity: the same short trace through the live system (real gateway, real engine-simulator replica
 * processes, the real autoscaler) and through the simulator with the same spec, engine params and the
 * cold start measured live. Compares GPU-seconds, the ready-replica timeline and p50 latency.
 */
import { specFromFlagString } from '../autoscaler/flags.js';
import { parseSimEngineParams } from '../engines/sim/params.js';
import { simulateOne } from './simulate.js';
import type { Trace } from './traces/trace.js';

export interface LiveTarget {
  url: string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface FidelityOptions {
  trace: Trace;
  engineParams: string;
  autoscale: string;
  name?: string;
  /** ready-count polling period of the live run, ms */
  pollMs?: number;
}

export interface Side {
  gpuSeconds: number;
  p50LatencyMs: number;
  /** integral of ready replicas over the horizon, replica-seconds */
  readyReplicaSeconds: number;
  requests: number;
  failed: number;
}

export interface FidelityResult {
  live: Side;
  sim: Side;
  coldStartMs: number;
  /** |live - sim| / sim */
  gaps: { gpuSeconds: number; p50Latency: number; readyTimeline: number };
  horizonS: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

/** Value of a step function (times ascending) at t. */
function stepAt(t: number[], v: number[], at: number): number {
  let lo = 0;
  let hi = t.length - 1;
  if (hi < 0 || at < t[0]) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return v[lo];
}

export async function runFidelity(target: LiveTarget, o: FidelityOptions): Promise<FidelityResult> {
  const name = o.name ?? 'fidelity';
  const engine = parseSimEngineParams(o.engineParams);
  const created = await target.api('POST', '/deployments', {
    name,
    modelName: 'm',
    replicas: 0,
    engineParams: o.engineParams,
    maxOngoingRequests: engine.maxNumSeqs,
  });
  if (created.status !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
  const spec = specFromFlagString(o.autoscale);
  const as = await target.api('PUT', `/deployments/${name}/autoscale`, spec);
  if (as.status !== 200) throw new Error(`autoscale: ${JSON.stringify(as.body)}`);
  const key = created.body.apiKey as string;

  // live replay at the trace's own times
  const { trace } = o;
  const horizon = trace.durationMs;
  const latencies: number[] = [];
  let failed = 0;
  const t0 = Date.now();
  const ready: { t: number; v: number }[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const d = await target.api('GET', `/deployments/${name}`);
      ready.push({ t: Date.now() - t0, v: d.body.readyReplicas });
      await sleep(o.pollMs ?? 250);
    }
  })();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < trace.at.length; i++) {
    const wait = t0 + trace.at[i] - Date.now();
    if (wait > 0) await sleep(wait);
    const words = 'x '.repeat(Math.max(1, trace.promptTokens[i] - 4));
    const start = Date.now();
    calls.push(
      fetch(`${target.url}/d/${name}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', max_tokens: trace.completionTokens[i], messages: [{ role: 'user', content: words }] }),
      })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.ok) latencies.push(Date.now() - start);
          else failed++;
        })
        .catch(() => void failed++),
    );
  }
  await Promise.all(calls);
  const rest = t0 + horizon - Date.now();
  if (rest > 0) await sleep(rest);
  polling = false;
  await poll;
  const d = (await target.api('GET', `/deployments/${name}`)).body;
  const end = t0 + horizon;
  const replicas = await replicaSpans(target, name);
  let gpuMs = 0;
  for (const r of replicas) gpuMs += Math.max(0, Math.min(r.stop ?? end, end) - r.start) * d.gpuCount;
  const colds = replicas.map((r) => r.coldStartMs).filter((x): x is number => x !== null);
  const coldStartMs = colds.length ? median(colds) : engine.startupSeconds * 1000;
  await target.api('DELETE', `/deployments/${name}`);

  // the same trace through the simulator
  const sim = simulateOne(trace, 'ours', {
    engine,
    spec,
    coldStartMs,
    gpuCount: d.gpuCount,
    initialReplicas: 0,
    maxOngoingPerReplica: engine.maxNumSeqs,
    seed: 1,
  });
  const simReadyS = integrate((t) => stepAt(sim.readyTimeline.t, sim.readyTimeline.ready, t), horizon);
  const liveT = ready.map((x) => x.t);
  const liveV = ready.map((x) => x.v);
  const liveReadyS = integrate((t) => stepAt(liveT, liveV, t), horizon);
  const diffS = integrate((t) => Math.abs(stepAt(liveT, liveV, t) - stepAt(sim.readyTimeline.t, sim.readyTimeline.ready, t)), horizon);
  const live: Side = { gpuSeconds: gpuMs / 1000, p50LatencyMs: median(latencies), readyReplicaSeconds: liveReadyS, requests: trace.at.length, failed };
  const simSide: Side = {
    gpuSeconds: sim.gpuSeconds,
    p50LatencyMs: sim.p50LatencyMs,
    readyReplicaSeconds: simReadyS,
    requests: trace.at.length,
    failed: sim.report.failed,
  };
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(b, 1e-9);
  return {
    live,
    sim: simSide,
    coldStartMs,
    gaps: {
      gpuSeconds: rel(live.gpuSeconds, simSide.gpuSeconds),
      p50Latency: rel(live.p50LatencyMs, simSide.p50LatencyMs),
      readyTimeline: diffS / Math.max(simReadyS, 1e-9),
    },
    horizonS: horizon / 1000,
  };
}

/** Integral over [0, horizon] ms of f, in seconds (100 ms steps). */
function integrate(f: (t: number) => number, horizonMs: number): number {
  let s = 0;
  for (let t = 0; t < horizonMs; t += 100) s += f(t) * 0.1;
  return s;
}

/** Every replica the deployment had (stopped ones included), billed from process start to stop. */
async function replicaSpans(target: LiveTarget, name: string): Promise<{ start: number; stop: number | null; coldStartMs: number | null }[]> {
  const d = (await target.api('GET', `/deployments/${name}/replicas`)).body;
  return (d.replicas as { startedAt: string | null; stoppedAt: string | null; coldStartMs: number | null; state: string }[])
    .filter((r) => r.startedAt)
    .map((r) => ({ start: Date.parse(r.startedAt!), stop: r.stoppedAt ? Date.parse(r.stoppedAt) : null, coldStartMs: r.coldStartMs }));
}
