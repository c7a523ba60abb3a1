import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy } from '../../autoscaler/policies.js';
import { buildAutoscaleSpec } from '../../autoscaler/spec.js';
import type { PolicyInput } from '../../autoscaler/types.js';
import { DEFAULT_SIM_PARAMS } from '../../engines/sim/params.js';
import { DeploymentSim } from '../engine/deployment-sim.js';
import type { DeploymentResult, SimOptions } from '../engine/options.js';
import { Timeline } from '../engine/replica.js';
import { traceFromArrivals } from '../traces/trace.js';
import { PoolVerdicts, type PoolConstraints } from './constraints.js';
import { feedBack } from './feedback.js';

const ENGINE = { ...DEFAULT_SIM_PARAMS, ttftMs: 0, prefillMsPerToken: 0, itlMs: 100, slowdownPerSeq: 0, jitter: 0, maxNumSeqs: 4 };
const opts = (over: Partial<SimOptions> = {}): SimOptions => ({
  engine: ENGINE,
  coldStartMs: 10_000,
  gpuCount: 1,
  maxQueued: 1000,
  queueTimeoutMs: 600_000,
  sloTtftMs: 2000,
  seed: 1,
  idleProbeMs: 30_000,
  ...over,
});
const spec = buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 4, targetOngoingRequests: 2 });
const H = 3_600_000;
/** one request at each of `at` (ms), the trace `durationMs` long */
const requests = (at: number[], durationMs: number) =>
  traceFromArrivals(
    at.map((a) => ({ at: a, promptTokens: 10, completionTokens: 11 })),
    { durationMs },
  );

test('verdicts: a start in a pending window waits for its end; evictions are taken once, in order', () => {
  const v = new PoolVerdicts({
    evictAt: [5, 9],
    pending: [
      [10, 20],
      [12, 30],
      [40, 50],
    ],
  });
  assert.equal(v.startAt(5), 5);
  assert.equal(v.startAt(10), 20);
  assert.equal(v.startAt(15), 30, 'two windows open: the later end');
  assert.equal(v.startAt(35), 35);
  assert.equal(v.startAt(50), 50, 'windows are half-open');
  assert.deepEqual(v.takeEvictions(4), []);
  assert.deepEqual(v.takeEvictions(9), [5, 9]);
  assert.deepEqual(v.takeEvictions(100), []);
});

test('a deployment whose sleeper the pool evicted pays a cold start on its next scale-up, not a wake', () => {
  const trace = requests([0, H], H + 100_000);
  const run = (pool?: PoolConstraints) => new DeploymentSim(trace, createPolicy('ours', { spec }), opts({ sleep: { wakeMs: 1_000 }, pool })).run();
  const free = run();
  assert.equal(free.wakes, 1);
  assert.equal(free.coldStarts, 1);
  const sleptAt = free.sleepLog?.t[0] ?? NaN;
  assert.ok(sleptAt > 0 && sleptAt < H, `slept at ${sleptAt}`);
  const evicted = run({ evictAt: [sleptAt + 60_000], pending: [] });
  assert.equal(evicted.evictions, 1);
  assert.equal(evicted.wakes, 0);
  assert.equal(evicted.coldStarts, 2);
  assert.ok(Math.abs(evicted.ttftMs[1] - 10_000) < 1, `cold start again: ttft ${evicted.ttftMs[1]}`);
  assert.deepEqual(evicted.sleeping?.n, [1, 0]);
  assert.deepEqual(evicted.sleepLog?.d, [1], 'the log keeps sleeps and wakes only: the pool replay makes its own evictions');
  // an eviction due while nothing sleeps stops nothing
  assert.equal(run({ evictAt: [1_000], pending: [] }).wakes, 1);
});

test('a replica start the pool had no room for waits pending: its requests are served later', () => {
  const trace = requests([0], 300_000);
  const run = (pool?: PoolConstraints) => new DeploymentSim(trace, createPolicy('ours', { spec }), opts({ initialReplicas: 0, pool })).run();
  const free = run();
  assert.ok(Math.abs(free.ttftMs[0] - 10_000) < 1, `ttft ${free.ttftMs[0]}`);
  const waited = run({ evictAt: [], pending: [[0, 30_000]] });
  assert.ok(Math.abs(waited.ttftMs[0] - 40_000) < 1, `30 s pending, then the 10 s cold start: ttft ${waited.ttftMs[0]}`);
  assert.equal(waited.timeline.starting[0], 1, 'pending counts as starting (capacity on its way)');
});

test('the simulator passes the tiers to the policy: replicas asleep and the wake time', () => {
  const seen: Array<Pick<PolicyInput, 'sleeping' | 'wakeMs'>> = [];
  const ours = createPolicy('ours', { spec });
  const spy = {
    ...ours,
    decide: (input: PolicyInput, state: unknown) => {
      seen.push({ sleeping: input.sleeping, wakeMs: input.wakeMs });
      return ours.decide(input, state);
    },
  };
  new DeploymentSim(requests([0, H], H + 100_000), spy, opts({ sleep: { wakeMs: 1_500 } })).run();
  assert.ok(seen.every((s) => s.wakeMs === 1_500));
  assert.ok(seen.some((s) => s.sleeping === 1) && seen.some((s) => s.sleeping === 0));
  seen.length = 0;
  new DeploymentSim(requests([0], 100_000), spy, opts()).run();
  assert.ok(
    seen.every((s) => s.wakeMs === undefined && s.sleeping === undefined),
    'no sleep: no tier',
  );
});

test('feedback: on a one-GPU pool two deployments share, the second waits for room; a fixed point is reached', () => {
  // A busy for the first 10 min, B asks at 2 min: one GPU of 16 GB, replicas of 16 GB
  const a = requests(
    Array.from({ length: 60 }, (_, i) => i * 10_000),
    1_800_000,
  );
  const b = requests([120_000], 1_800_000);
  const traces = [a, b];
  const sim = (k: number, pool?: PoolConstraints) => new DeploymentSim(traces[k], createPolicy('ours', { spec }), opts({ initialReplicas: 0, pool })).run();
  const first = [sim(0), sim(1)];
  const pool = { gpus: 1, gpuMemoryMb: 16 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' as const };
  const fed = feedBack(first, sim, pool, 1_800_000, 4);
  assert.equal(fed.stillChanging, 0, 'a fixed point');
  assert.ok(fed.rounds >= 1);
  assert.equal(fed.pool.unplaced, 1);
  const bTtft = fed.deployments[1].ttftMs[0];
  assert.ok(first[1].ttftMs[0] < 11_000, 'alone, B is served after its cold start');
  assert.ok(bTtft > first[1].ttftMs[0] + 60_000, `on the shared GPU, B waits for A to go: ttft ${bTtft}`);
  assert.equal(fed.deployments[0].ttftMs[0], first[0].ttftMs[0], 'A, placed first, is unchanged');
});

test('feedback: a replica that waits for room past the queue timeout fails its requests in the re-simulation', () => {
  const a = requests(
    Array.from({ length: 60 }, (_, i) => i * 10_000),
    1_800_000,
  );
  const b = requests([120_000], 1_800_000);
  const traces = [a, b];
  const sim = (k: number, pool?: PoolConstraints) =>
    new DeploymentSim(traces[k], createPolicy('ours', { spec }), opts({ initialReplicas: 0, queueTimeoutMs: 60_000, pool })).run();
  const first = [sim(0), sim(1)];
  assert.ok(Number.isFinite(first[1].ttftMs[0]), 'alone, B serves its request');
  const fed = feedBack(first, sim, { gpus: 1, gpuMemoryMb: 16 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' }, 1_800_000, 4);
  assert.equal(fed.deployments[1].ttftMs[0], Infinity, 'on the shared GPU, B waits for room longer than its request may queue');
  assert.equal(fed.deployments[1].failedQueueTimeout, 1);
});

test('feedback: the least recently slept sleeper is evicted for host RAM, so its deployment cold-starts where it would have woken', () => {
  // A and B each take a request at 0 and 30 min, then one at 2 h: both go to sleep between. Host RAM holds
  // one 16 GB sleeper: B's sleep evicts A's (slept first), so A's 2 h request finds a cold start, B's a wake
  const a = requests([0, 2 * H], 2 * H + 60_000);
  const b = requests([30 * 60_000, 2 * H], 2 * H + 60_000);
  const traces = [a, b];
  const sim = (k: number, pool?: PoolConstraints) =>
    new DeploymentSim(traces[k], createPolicy('ours', { spec }), opts({ initialReplicas: 0, sleep: { wakeMs: 1_000 }, pool })).run();
  const first = [sim(0), sim(1)];
  assert.deepEqual(
    first.map((d) => [d.coldStarts, d.wakes]),
    [
      [1, 1],
      [1, 1],
    ],
    'without a RAM budget both wake at 2 h',
  );
  const pool = { gpus: 1, gpuMemoryMb: 80 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' as const, sleepRamPerHostMb: 16 * 1024 };
  const fed = feedBack(first, sim, pool, 2 * H + 60_000, 4);
  assert.equal(fed.pool.evictions, 1);
  assert.equal(fed.stillChanging, 0);
  assert.deepEqual([fed.deployments[0].coldStarts, fed.deployments[0].wakes, fed.deployments[0].evictions], [2, 0, 1], 'A: evicted, a cold start at 2 h');
  assert.ok(fed.deployments[0].ttftMs[1] >= 10_000, `A's 2 h request waits for the cold start: ${fed.deployments[0].ttftMs[1]}`);
  assert.deepEqual([fed.deployments[1].coldStarts, fed.deployments[1].wakes], [1, 1], 'B slept last: kept, and woken');
  assert.ok(fed.deployments[1].ttftMs[1] < 2_000, `B's 2 h request waits for the wake only: ${fed.deployments[1].ttftMs[1]}`);
});

/** A stand-in for a simulated deployment: only what the pool replay reads. */
const shape = (steps: Array<[number, number]>): DeploymentResult => {
  const timeline = new Timeline();
  for (const [t, n] of steps) timeline.record(t, n, 0);
  return { timeline } as unknown as DeploymentResult;
};

test('feedback rounds: stop as soon as a replay changes nothing; at the cap, say how many still changed', () => {
  const one = { gpus: 1, gpuMemoryMb: 16 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' as const };
  const a = shape([
    [0, 1],
    [1_000, 0],
  ]);
  const b = shape([
    [500, 1],
    [2_000, 0],
  ]);
  let calls = 0;
  // the re-simulation does not change the replica counts: the second replay gives the same verdicts
  const counted = (k: number) => {
    calls++;
    return [a, b][k];
  };
  const seen: Array<[number, number, number]> = [];
  const same = feedBack([a, b], counted, one, 3_000, 5, (round, _res, replay, changed) => seen.push([round, changed, replay.result.pendingHours * 3_600_000]));
  assert.deepEqual([same.rounds, same.resimulated, same.stillChanging, calls], [1, [1], 0, 1], 'b re-simulated once, then nothing changed');
  assert.deepEqual(
    seen,
    [
      [0, 1, 500],
      [1, 0, 500],
    ],
    'each replay observed: b waited 500 ms for a to leave',
  );
  calls = 0;
  const free = feedBack([a, shape([[1_000, 1]])], counted, one, 3_000, 5);
  assert.deepEqual([free.rounds, free.stillChanging, calls], [0, 0, 0], 'nothing waited: no round');
  // a re-simulation that moves its ask every time never settles: the cap ends it and says so
  let shift = 0;
  const moving = feedBack([a, b], (k) => (k === 1 ? shape([[500 + ++shift, 1]]) : a), one, 3_000, 3);
  assert.deepEqual([moving.rounds, moving.resimulated, moving.stillChanging], [3, [1, 1, 1], 1]);
});

test('a woken sleeper taken down while its start still waits for room sleeps again: the next scale-up is a wake, not a cold start', () => {
  const trace = requests([0, H, 2 * H], 2 * H + 60_000);
  const run = (pool?: PoolConstraints) =>
    new DeploymentSim(trace, createPolicy('kpa', { spec }), opts({ initialReplicas: 0, queueTimeoutMs: 60_000, sleep: { wakeMs: 1_000 }, pool })).run();
  // no room from 1 h for 40 min: the 1 h request times out, and kpa gives the waiting replica up (ours keeps it)
  const r = run({ evictAt: [], pending: [[H, H + 40 * 60_000]] });
  assert.equal(r.ttftMs[1], Infinity, 'the 1 h request waited for room past its timeout');
  assert.equal(r.coldStarts, 1, 'only the first start is cold');
  assert.ok(Math.abs(r.ttftMs[2] - 1_000) < 1, `the 2 h request is served after a wake: ttft ${r.ttftMs[2]}`);
  assert.deepEqual(r.sleepLog?.d, [1, -1, 1, -1], 'slept, woken into the wait, asleep again when given up, woken at 2 h');
});
