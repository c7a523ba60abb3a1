import { test } from 'node:test';
import assert from 'node:assert/strict';
import { virtualGpus } from './inventory.js';
import { placeOnGpus, type GpuHold } from './placement.js';
import { placeBesideSleepers, replicaGpuMemoryMb, roomToWake, type SleeperBinding } from './sleeper-placement.js';

const GI = 1024;
const NOW = 1_000_000;
const whole = (replicaId: string, sleptAt: number, gpus: number[]): SleeperBinding => ({ replicaId, sleptAt, gpus });
const share = (replicaId: string, sleptAt: number, gpu: number, memoryMb: number): SleeperBinding => ({ replicaId, sleptAt, gpus: [gpu], memoryMb });
const ids = (p: ReturnType<typeof placeBesideSleepers>) => (p.ok ? p.evict.map((s) => s.replicaId) : p.reason);

test('a replica that fits elsewhere leaves the GPUs sleepers are bound to alone', () => {
  const gpus = virtualGpus(2, 'a5000');
  const sleepers = [whole('s', NOW - 5000, [0])];
  // what placement did before: the lowest free GPU, the sleeper's
  assert.deepEqual(placeOnGpus(gpus, [], { gpuType: 'a5000', gpuCount: 1 }), { ok: true, gpus: [0] });
  assert.deepEqual(placeBesideSleepers(gpus, [], sleepers, { gpuType: 'a5000', gpuCount: 1 }, 'binpack', NOW), {
    ok: true,
    gpus: [1],
    evict: [],
    reason: '',
  });
});

test('room only on sleepers: the least recently slept one stops, the other stays', () => {
  const gpus = virtualGpus(2, 'a5000');
  const sleepers = [whole('newer', NOW - 10_000, [1]), whole('older', NOW - 60_000, [0])];
  const p = placeBesideSleepers(gpus, [], sleepers, { gpuType: 'a5000', gpuCount: 1 }, 'binpack', NOW);
  assert.ok(p.ok);
  assert.deepEqual([p.gpus, ids(p)], [[0], ['older']]);
  assert.equal(p.reason, 'room only on GPU 0, held by sleeping replicas: stopping the least recently used older (asleep 60 s)');
  // a 2-GPU replica needs both
  const two = placeBesideSleepers(gpus, [], sleepers, { gpuType: 'a5000', gpuCount: 2 }, 'binpack', NOW);
  assert.ok(two.ok);
  assert.deepEqual(
    [two.gpus, ids(two)],
    [
      [0, 1],
      ['older', 'newer'],
    ],
  );
});

test('only as many as needed: an old sleeper whose stop would not free a GPU is kept', () => {
  const gpus = virtualGpus(2, 'a5000');
  // GPU 0 is bound by two sleepers (the oldest and the newest), GPU 1 by one in between: stopping the oldest
  // alone frees nothing, so the one on GPU 1 stops instead
  const sleepers = [whole('a', 100, [0]), whole('b', 200, [1]), whole('c', 300, [0])];
  const p = placeBesideSleepers(gpus, [], sleepers, { gpuType: 'a5000', gpuCount: 1 }, 'binpack', NOW);
  assert.ok(p.ok);
  assert.deepEqual([p.gpus, ids(p)], [[1], ['b']]);
  // equal sleep times: the order is by replica id, so the choice is stable
  const tied = [whole('y', 5, [1]), whole('x', 5, [0])];
  assert.deepEqual(ids(placeBesideSleepers(gpus, [], tied, { gpuType: 'a5000', gpuCount: 1 }, 'binpack', NOW)), ['x']);
});

test('fractional: a replica shares a sleeper GPU while the sleeper keeps its share; past it, the fewest sleepers stop', () => {
  const gpus = virtualGpus(1, 'a100', 40 * GI);
  const live: GpuHold[] = [{ replicaId: 'awake', gpus: [0], memoryMb: 10 * GI }];
  const sleepers = [share('s1', 100, 0, 10 * GI), share('s2', 200, 0, 10 * GI)];
  const need = (mb: number) => ({ gpuType: 'a100', gpuCount: 1, memoryMb: mb });
  // 40 - 10 awake - 20 reserved for the sleepers = 10 free: a 10Gi replica fits beside them all
  assert.deepEqual(ids(placeBesideSleepers(gpus, live, sleepers, need(10 * GI), 'binpack', NOW)), []);
  // 15Gi: stopping the older sleeper is enough
  assert.deepEqual(ids(placeBesideSleepers(gpus, live, sleepers, need(15 * GI), 'binpack', NOW)), ['s1']);
  // 30Gi: both
  assert.deepEqual(ids(placeBesideSleepers(gpus, live, sleepers, need(30 * GI), 'binpack', NOW)), ['s1', 's2']);
  // 35Gi: no sleeper's room would do; nothing stops, and the reason is placement's own
  assert.deepEqual(placeBesideSleepers(gpus, live, sleepers, need(35 * GI), 'binpack', NOW), {
    ok: false,
    reason: 'needs 35Gi on one a100; the most free on any is 30Gi',
  });
});

test('fractional: a GPU no sleeper is bound to is used before a sleeper share is taken', () => {
  const gpus = virtualGpus(2, 'a100', 40 * GI);
  const live: GpuHold[] = [
    { replicaId: 'a', gpus: [0], memoryMb: 30 * GI },
    { replicaId: 'b', gpus: [1], memoryMb: 20 * GI },
  ];
  const sleepers = [share('s', 100, 0, 10 * GI)];
  // without sleepers best fit would take GPU 0 (10Gi free); its 10Gi is the sleeper's, so GPU 1 instead
  const p = placeBesideSleepers(gpus, live, sleepers, { gpuType: 'a100', gpuCount: 1, memoryMb: 10 * GI }, 'binpack', NOW);
  assert.ok(p.ok);
  assert.deepEqual([p.gpus, p.evict], [[1], []]);
  // a whole-GPU replica on a machine of shared and sleeper GPUs: no GPU is free even with the sleeper gone
  assert.deepEqual(placeBesideSleepers(gpus, live, sleepers, { gpuType: 'a100', gpuCount: 1 }, 'binpack', NOW), {
    ok: false,
    reason: 'needs 1 x a100, 0 free (2 shared by fractional replicas)',
  });
});

test('room to wake: whole GPUs nobody holds, or the share free on the one GPU', () => {
  const gpus = virtualGpus(2, 'a100', 40 * GI);
  assert.equal(roomToWake(gpus, [], { replicaId: 's', gpus: [0, 1] }), true);
  assert.equal(roomToWake(gpus, [{ replicaId: 'x', gpus: [1], memoryMb: GI }], { replicaId: 's', gpus: [0, 1] }), false);
  assert.equal(roomToWake(gpus, [{ replicaId: 'x', gpus: [0], memoryMb: 30 * GI }], { replicaId: 's', gpus: [0], memoryMb: 10 * GI }), true);
  assert.equal(roomToWake(gpus, [{ replicaId: 'x', gpus: [0], memoryMb: 31 * GI }], { replicaId: 's', gpus: [0], memoryMb: 10 * GI }), false);
  assert.equal(roomToWake(gpus, [], { replicaId: 's', gpus: [7] }), false, 'a GPU that left the inventory');
});

test('the GPU memory a replica held awake: its share, or all of its whole GPUs', () => {
  const gpus = virtualGpus(4, 'a100', 40 * GI);
  assert.equal(replicaGpuMemoryMb(gpus, [2], 10 * GI), 10 * GI);
  assert.equal(replicaGpuMemoryMb(gpus, [0, 1], undefined), 80 * GI);
  assert.equal(replicaGpuMemoryMb(virtualGpus(2, 'a5000'), [0], undefined), 0, 'virtual GPUs without memory: unknown');
});
