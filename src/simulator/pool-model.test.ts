import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Timeline } from './engine/replica.js';
import { replayPool, type PoolSpec } from './pool-model.js';

const H = 3_600_000;

/** A deployment whose replica count follows [t (h), count] steps. */
function deployment(steps: Array<[number, number]>, sleeping?: { t: number[]; n: number[] }) {
  const timeline = new Timeline();
  for (const [t, n] of steps) timeline.record(t * H, n, 0);
  return { timeline, sleeping };
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
  assert.equal(full.gpuHours, 2);
  // held to the end of the simulation when still up
  assert.equal(replayPool([deployment([[1, 2]])], spec, 3 * H).gpuHours, 2);
});

test('the most sleepers at once over all deployments', () => {
  const a = deployment([[0, 0]], { t: [0, 2 * H], n: [1, 0] });
  const b = deployment([[0, 0]], { t: [H, 3 * H], n: [1, 0] });
  assert.equal(replayPool([a, b], spec, 4 * H).peakSleepers, 2);
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
  assert.equal(ours.pool?.gpuHours, ours.gpuHours, 'one replica at a time: its GPU is on exactly while it is');
});
