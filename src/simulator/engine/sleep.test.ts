import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../autoscaler/policies.js';
import { buildAutoscaleSpec } from '../../autoscaler/spec.js';
import { DEFAULT_SIM_PARAMS } from '../../engines/sim/params.js';
import { traceFromArrivals } from '../traces/trace.js';
import { DeploymentSim } from './deployment-sim.js';
import type { SimOptions } from './options.js';

const ENGINE = { ...DEFAULT_SIM_PARAMS, ttftMs: 0, prefillMsPerToken: 0, itlMs: 100, slowdownPerSeq: 0, jitter: 0, maxNumSeqs: 4 };
const opts = (over: Partial<SimOptions> = {}): SimOptions => ({
  engine: ENGINE,
  coldStartMs: 10_000,
  gpuCount: 1,
  maxQueued: 1000,
  queueTimeoutMs: 60_000,
  sloTtftMs: 2000,
  seed: 1,
  idleProbeMs: 30_000,
  ...over,
});

// one request, an hour of quiet (ours scales to zero after 5 min), another request
const trace = traceFromArrivals(
  [0, 3_600_000].map((at) => ({ at, promptTokens: 10, completionTokens: 11 })),
  { durationMs: 3_700_000 },
);
const spec = buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 4, targetOngoingRequests: 2 });

test('a replica taken down sleeps, and the next scale-up wakes it in the wake time instead of a cold start', () => {
  const stop = new DeploymentSim(trace, createPolicy('ours', { spec }), opts()).run();
  assert.equal(stop.coldStarts, 2);
  assert.ok(Math.abs(stop.ttftMs[1] - 10_000) < 1, `stopped: cold start again, ttft ${stop.ttftMs[1]}`);

  const sleep = new DeploymentSim(trace, createPolicy('ours', { spec }), opts({ sleep: { wakeMs: 1_000 } })).run();
  assert.equal(sleep.coldStarts, 1);
  assert.equal(sleep.wakes, 1);
  assert.ok(Math.abs(sleep.ttftMs[1] - 1_000) < 1, `asleep: woken, ttft ${sleep.ttftMs[1]}`);
  assert.equal(sleep.gpuMs, stop.gpuMs, 'a sleeper holds no GPU: billed as when stopped (from the wake, to the end of the trace)');
  assert.deepEqual(sleep.sleeping?.n, [1, 0], 'asleep from the scale to zero until the wake');
});

test('at most maxSleepers sleep per deployment; the rest stop', () => {
  const r = new DeploymentSim(trace, createPolicy('ours', { spec }), opts({ sleep: { wakeMs: 1_000, maxSleepers: 0 } })).run();
  assert.equal(r.coldStarts, 2);
  assert.equal(r.wakes, 0);
});
