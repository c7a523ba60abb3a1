import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Timeline } from './engine/replica.js';
import { replayPool, replayPoolVerdicts, sleepBudgetMb, type PoolSpec } from './pool-model.js';

const H = 3_600_000;

/** A deployment whose replica count follows [t (h), count] steps; `sleepLog`: sleeps (+1) and wakes (-1) at t (h). */
function deployment(steps: Array<[number, number]>, sleepLog?: Array<[number, number]>) {
  const timeline = new Timeline();
  for (const [t, n] of steps) timeline.record(t * H, n, 0);
  return { timeline, sleepLog: sleepLog && { t: sleepLog.map(([t]) => t * H), d: sleepLog.map(([, d]) => d) } };
}

const spec: PoolSpec = { gpus: 2, gpuMemoryMb: 80 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' };

test('packed: five 16 GB replicas share one 80 GB GPU, so the pool powers one GPU, not five', () => {
  const five = Array.from({ length: 5 }, () =>
    deployment([
      [0, 1],
      [2, 0],
    ]),
  );
  const r = replayPool(five, spec, 4 * H);
  assert.equal(r.gpuHours, 2);
  assert.equal(r.replicaHours, 10);
  assert.equal(r.peakGpus, 1);
  assert.equal(r.peakReplicas, 5);
  assert.equal(r.unplaced, 0);
  const spread = replayPool(five, { ...spec, policy: 'spread' }, 4 * H);
  assert.equal(spread.peakGpus, 2, 'spread powers both GPUs');
  assert.equal(spread.gpuHours, 4);
});

test('a GPU stays powered while any replica is on it; replicas beyond the pool are counted unplaced', () => {
  const long = deployment([
    [0, 1],
    [3, 0],
  ]);
  const short = Array.from({ length: 4 }, () =>
    deployment([
      [0, 1],
      [1, 0],
    ]),
  );
  const r = replayPool([long, ...short], spec, 4 * H);
  assert.equal(r.gpuHours, 3, 'the long replica keeps its GPU on after the others leave');
  const crowd = Array.from({ length: 11 }, () =>
    deployment([
      [0, 1],
      [1, 0],
    ]),
  );
  const full = replayPool(crowd, spec, 2 * H);
  assert.equal(full.unplaced, 1, '10 fit on 2 x 80 GB');
  assert.equal(full.neverPlaced, 1, 'the 11th waits, and its deployment gives up as the others leave');
  assert.equal(full.pendingHours, 1);
  assert.equal(full.gpuHours, 2);
  // held to the end of the simulation when still up
  assert.equal(replayPool([deployment([[1, 2]])], spec, 3 * H).gpuHours, 2);
});

test('the most sleepers at once over all deployments', () => {
  const a = deployment(
    [[0, 0]],
    [
      [0, 1],
      [2, -1],
    ],
  );
  const b = deployment(
    [[0, 0]],
    [
      [1, 1],
      [3, -1],
    ],
  );
  assert.equal(replayPool([a, b], spec, 4 * H).peakSleepers, 2);
});

test('a replica that finds no room waits for the first that leaves, first come first placed, and the deployment is told', () => {
  const one = { ...spec, gpus: 1, replicaMemoryMb: 80 * 1024 };
  const a = deployment([
    [0, 1],
    [2, 0],
  ]);
  const b = deployment([
    [0.5, 1],
    [4, 0],
  ]);
  const c = deployment([
    [1, 1],
    [4, 0],
  ]);
  const r = replayPoolVerdicts([a, b, c], one, 5 * H);
  assert.equal(r.result.unplaced, 2);
  assert.deepEqual(r.constraints[1].pending, [[0.5 * H, 2 * H]], 'b came first: placed when a leaves');
  assert.deepEqual(r.constraints[2].pending, [[1 * H, 4 * H]], 'c waits behind b, then its deployment gives up');
  assert.equal(r.result.neverPlaced, 1);
  assert.equal(r.result.pendingHours, 1.5 + 3);
  assert.equal(r.result.gpuHours, 4, 'waiting replicas power nothing');
});

test('host RAM: a new sleeper over the budget evicts the least recently slept, and its deployment is told when', () => {
  // 2 GPUs on one host of 8; 40 GiB for sleepers: two 16 GB sleepers fit, a third evicts the oldest
  const ram = { ...spec, sleepRamPerHostMb: 40 * 1024 };
  assert.equal(sleepBudgetMb(ram), 40 * 1024);
  assert.equal(sleepBudgetMb({ ...ram, gpus: 9 }), 80 * 1024, '9 GPUs: two hosts');
  assert.equal(sleepBudgetMb(spec), Infinity);
  const a = deployment([[0, 0]], [[0, 1]]);
  const b = deployment(
    [[0, 0]],
    [
      [1, 1],
      [1.5, -1],
      [2, 1],
    ],
  );
  const c = deployment([[0, 0]], [[3, 1]]);
  const r = replayPoolVerdicts([a, b, c], ram, 4 * H);
  assert.deepEqual(r.constraints[0].evictAt, [3 * H], 'a slept first: the oldest, evicted when c sleeps');
  assert.deepEqual(r.constraints[1].evictAt, [], 'b slept again at 2 h: more recent than a');
  assert.equal(r.result.evictions, 1);
  assert.equal(r.result.peakSleepers, 2);
  const unbounded = replayPoolVerdicts([a, b, c], spec, 4 * H);
  assert.equal(unbounded.result.evictions, 0);
  assert.equal(unbounded.result.peakSleepers, 3);
  // a woken sleeper frees its RAM: with b awake at 3 h nobody is evicted
  const bAwake = deployment(
    [[0, 0]],
    [
      [1, 1],
      [2.5, -1],
    ],
  );
  assert.equal(replayPoolVerdicts([a, bAwake, c], ram, 4 * H).result.evictions, 0);
});

test('simulate --pool 2x80Gi --replica-memory 16Gi --idle sleep: each policy reports the pool and its wakes', async () => {
  const { poolOptions } = await import('./cli.js');
  const { simulate } = await import('./simulate.js');
  const { traceFromArrivals } = await import('./traces/trace.js');
  const { buildAutoscaleSpec } = await import('../autoscaler/spec.js');
  const opts = poolOptions({ pool: '2x80Gi', replicaMemory: '16Gi', idle: 'sleep', wakeSeconds: '3' });
  assert.deepEqual(opts, { sleep: { wakeMs: 3000, maxSleepers: 1 }, pool: { gpus: 2, gpuMemoryMb: 80 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' } });
  assert.throws(() => poolOptions({ pool: '2x80GB', replicaMemory: '16Gi' }), /not a memory size/);
  assert.throws(() => poolOptions({ pool: '2x80Gi' }), /--replica-memory: is required with --pool/);
  assert.throws(() => poolOptions({ idle: 'nap' }), /--idle: must be stop or sleep/);
  const ram = poolOptions({ pool: '16x80Gi', replicaMemory: '16Gi', idle: 'sleep', sleepRam: '512Gi', gpusPerHost: '8', poolRounds: '2' });
  assert.equal(ram.pool?.sleepRamPerHostMb, 512 * 1024);
  assert.equal(ram.pool?.gpusPerHost, 8);
  assert.equal(ram.poolRounds, 2);
  assert.throws(() => poolOptions({ pool: '16x80Gi', replicaMemory: '16Gi', sleepRam: '512Gi' }), /--sleep-ram: goes with --idle sleep/);
  assert.throws(() => poolOptions({ pool: '16x80Gi', replicaMemory: '16Gi', idle: 'sleep', sleepRam: '8Gi' }), /--sleep-ram: 8Gi holds no sleeper/);
  assert.throws(() => poolOptions({ sleepRam: '512Gi', idle: 'sleep' }), /--sleep-ram: goes with --pool/);
  assert.throws(() => poolOptions({ pool: '16x80Gi', replicaMemory: '16Gi', idle: 'sleep', sleepRam: '512Gi', gpusPerHost: '0' }), /--gpus-per-host/);
  const trace = traceFromArrivals(
    [0, 3_600_000].map((at) => ({ at, promptTokens: 10, completionTokens: 11 })),
    { durationMs: 3_700_000 },
  );
  const r = await simulate({
    trace,
    policies: ['ours'],
    spec: buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 4 }),
    coldStartMs: 10_000,
    workers: 0,
    initialReplicas: 0,
    ...opts,
  });
  const ours = r.policies[0];
  assert.equal(ours.coldStarts, 1);
  assert.equal(ours.wakes, 1);
  assert.equal(ours.pool?.unplaced, 0);
  assert.equal(ours.pool?.stillChanging, 0);
  assert.equal(ours.pool?.gpuHours, ours.gpuHours, 'one replica at a time: its GPU is on exactly while it is');
});
