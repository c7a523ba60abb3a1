import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../autoscaler/policies.js';
import { buildAutoscaleSpec } from '../../autoscaler/spec.js';
import type { ScalingPolicy } from '../../autoscaler/types.js';
import { DEFAULT_SIM_PARAMS, type SimEngineParams } from '../../engines/sim/params.js';
import { traceFromArrivals, type TraceArrival } from '../traces/trace.js';
import { DeploymentSim } from './deployment-sim.js';
import type { SimOptions } from './options.js';

/** exact service: 1 s per request with 11 output tokens, no prefill, no noise */
const ENGINE: SimEngineParams = { ...DEFAULT_SIM_PARAMS, ttftMs: 0, prefillMsPerToken: 0, itlMs: 100, slowdownPerSeq: 0, jitter: 0, maxNumSeqs: 4 };

function opts(over: Partial<SimOptions> = {}): SimOptions {
  return { engine: ENGINE, coldStartMs: 10_000, gpuCount: 1, maxQueued: 1000, queueTimeoutMs: 60_000, sloTtftMs: 2000, seed: 1, idleProbeMs: 30_000, ...over };
}

function fixed(n: number): ScalingPolicy<null> {
  return { name: 'fixed', tickMs: 1000, init: () => null, decide: () => ({ desired: n, reason: 'fixed', state: null }) };
}

function arrivals(times: number[], completionTokens = 11): TraceArrival[] {
  return times.map((at) => ({ at, promptTokens: 10, completionTokens }));
}

test('requests go through Admission: a full queue times out, and those requests fail', () => {
  // one replica, one slot: the first request runs 50 s, the others wait and time out after 2 s
  const engine = { ...ENGINE, maxNumSeqs: 1 };
  const trace = traceFromArrivals(arrivals([0, 100, 200], 501));
  const r = new DeploymentSim(trace, fixed(1), opts({ engine, queueTimeoutMs: 2000, initialReplicas: 1 })).run();
  assert.equal(r.failedQueueTimeout, 2);
  assert.equal(r.ttftMs[0], 0);
  assert.equal(r.ttftMs[1], Infinity);
  const full = new DeploymentSim(trace, fixed(1), opts({ engine, maxQueued: 1, initialReplicas: 1 })).run();
  assert.equal(full.failedQueueFull, 1);
});

test('a gateway cap above the engine slots: the engine queues, then refuses beyond maxWaiting', () => {
  const engine = { ...ENGINE, maxNumSeqs: 1, maxWaiting: 1 };
  const trace = traceFromArrivals(arrivals([0, 10, 20, 30]));
  const r = new DeploymentSim(trace, fixed(1), opts({ engine, maxOngoingPerReplica: 4, initialReplicas: 1 })).run();
  assert.equal(r.failedRejected, 2);
  assert.equal(r.ttftMs[0], 0);
  assert.equal(r.ttftMs[1], 990); // waited at the engine until the first finished at 1000 ms
  assert.equal(r.ttftMs[2], Infinity);
});

test('billing: replicas cost from start to stop; warm replicas serve at once', () => {
  const trace = traceFromArrivals(arrivals([0, 30_000, 59_000]), { durationMs: 60_000 });
  const r = new DeploymentSim(trace, fixed(2), opts({ initialReplicas: 2 })).run();
  assert.equal(r.gpuMs, 2 * 60_000);
  assert.deepEqual([...r.ttftMs], [0, 0, 0]);
  assert.equal(r.coldStarts, 0);
  const two = new DeploymentSim(trace, fixed(2), opts({ initialReplicas: 2, gpuCount: 2 })).run();
  assert.equal(two.gpuMs, 4 * 60_000);
});

test('scale from zero: a held request waits for the cold start, then is served (ours)', () => {
  const spec = buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 4, targetOngoingRequests: 2 });
  const trace = traceFromArrivals(arrivals([100_000, 100_500]), { durationMs: 200_000 });
  const r = new DeploymentSim(trace, createPolicy('ours', { spec }), opts()).run();
  assert.equal(r.heldAtZero, 2);
  assert.equal(r.coldStarts, 1);
  assert.ok(Math.abs(r.ttftMs[0] - 10_000) < 1, `ttft ${r.ttftMs[0]}`);
  assert.equal(r.failedQueueTimeout + r.failedRejected, 0);
  // billed from the start at 100 s to the end of the trace (scale-to-zero after 5 min is not reached)
  assert.equal(r.gpuMs, 100_000);
});

test('SkyServe has no buffering: requests fail while no replica is ready', () => {
  const policy = createPolicy('skyserve', { spec: buildAutoscaleSpec({ targetOngoingRequests: 2, maxReplicas: 4 }), minReplicas: 0, targetQpsPerReplica: 2 });
  const trace = traceFromArrivals(arrivals(Array.from({ length: 60 }, (_, k) => 100_000 + k * 1000)), { durationMs: 200_000 });
  const r = new DeploymentSim(trace, policy, opts({ rejectWhenNoneReady: true })).run();
  assert.ok(r.failedRejected >= 10, `rejected ${r.failedRejected}`);
  assert.ok(r.coldStarts >= 1);
  const served = [...r.ttftMs].filter((x) => x !== Infinity).length;
  assert.ok(served > 0 && served + r.failedRejected === 60);
});

test('KPA panics on a burst: it scales out within seconds, well before its 60 s stable window', () => {
  const times: number[] = [];
  for (let t = 0; t < 120_000; t += 1000) times.push(t); // ~1 concurrent
  for (let t = 120_000; t < 140_000; t += 20) times.push(t); // 50 req/s: ~50 concurrent
  const trace = traceFromArrivals(arrivals(times.sort((a, b) => a - b)), { durationMs: 200_000 });
  const kpa = createPolicy('kpa', { spec: buildAutoscaleSpec({ targetOngoingRequests: 10, maxReplicas: 20 }), minReplicas: 1 });
  const r = new DeploymentSim(trace, kpa, opts({ initialReplicas: 1 })).run();
  const tl = r.timeline;
  const firstBig = tl.t.findIndex((t, i) => t >= 120_000 && tl.ready[i] + tl.starting[i] >= 5);
  assert.ok(firstBig >= 0, 'KPA never scaled to 5');
  assert.ok(tl.t[firstBig] < 130_000, `scaled out at ${tl.t[firstBig]} ms`);
});
