import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpuUsage, placeOnGpus, gpusPerReplica, placeableReplicas, type GpuHold, type PackingPolicy } from './placement.js';
import { virtualGpus } from './inventory.js';
import { formatMemory, parseMemorySize } from './size.js';
import { gpuSharing } from './server-flags.js';

const GI = 1024;
const gpus = virtualGpus(4, 'a100', 40 * GI);

/** Places `n` replicas one after the other, as the controller does, returning the holds. */
function placeMany(n: number, memoryMb: number, policy: PackingPolicy, holds: GpuHold[] = []): GpuHold[] {
  for (let i = 0; i < n; i++) {
    const p = placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 1, memoryMb }, policy);
    assert.ok(p.ok, `replica ${i} placed`);
    holds.push({ replicaId: `r${holds.length}`, gpus: p.gpus, memoryMb });
  }
  return holds;
}

test('binpack: six 10Gi replicas fill two 40Gi GPUs, and a 2-GPU replica takes the two left whole', () => {
  const holds = placeMany(6, 10 * GI, 'binpack');
  assert.deepEqual(
    holds.map((h) => h.gpus[0]),
    [0, 0, 0, 0, 1, 1],
  );
  assert.deepEqual(placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 2 }), { ok: true, gpus: [2, 3] });
});

test('best fit: a replica goes where it leaves the least free memory, not merely the first GPU with room', () => {
  const holds: GpuHold[] = [
    { replicaId: 'a', gpus: [0], memoryMb: 10 * GI }, // 30Gi free
    { replicaId: 'b', gpus: [1], memoryMb: 25 * GI }, // 15Gi free
  ];
  assert.deepEqual(placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 1, memoryMb: 12 * GI }), { ok: true, gpus: [1] });
  assert.deepEqual(placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 1, memoryMb: 20 * GI }), { ok: true, gpus: [0] });
});

test('spread: replicas go to the emptiest GPU first', () => {
  const holds = placeMany(4, 10 * GI, 'spread');
  assert.deepEqual(
    holds.map((h) => h.gpus[0]),
    [0, 1, 2, 3],
  );
});

test('whole-GPU replicas avoid GPUs shared by fractional ones, and say so when short', () => {
  const holds: GpuHold[] = [
    { replicaId: 'f', gpus: [0], memoryMb: 5 * GI },
    { replicaId: 'w', gpus: [1] },
  ];
  assert.deepEqual(placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 2 }), { ok: true, gpus: [2, 3] });
  assert.deepEqual(placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 3 }), {
    ok: false,
    reason: 'needs 3 x a100, 2 free (1 shared by fractional replicas)',
  });
  // a GPU held whole takes no fractional replica
  const full = placeOnGpus(virtualGpus(1, 'a100', 40 * GI), [{ replicaId: 'w', gpus: [0] }], { gpuType: 'a100', gpuCount: 1, memoryMb: GI });
  assert.deepEqual(full, { ok: false, reason: 'needs 1Gi on one a100; the most free on any is 0Mi' });
});

test('a replica that fits nowhere is pending with a reason naming the memory', () => {
  const holds = placeMany(6, 10 * GI, 'binpack');
  placeMany(2, 20 * GI, 'binpack', holds); // the first fills GPU 1, the second leaves 20Gi on GPU 2
  const p = placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 1, memoryMb: 30 * GI });
  assert.deepEqual(p, { ok: true, gpus: [3] }, 'the last empty GPU still takes it');
  holds.push({ replicaId: 'x', gpus: [3], memoryMb: 30 * GI });
  assert.deepEqual(placeOnGpus(gpus, holds, { gpuType: 'a100', gpuCount: 1, memoryMb: 30 * GI }), {
    ok: false,
    reason: 'needs 30Gi on one a100; the most free on any is 20Gi',
  });
  const unknown = placeOnGpus(virtualGpus(2, 'vgpu'), [], { gpuType: 'vgpu', gpuCount: 1, memoryMb: GI });
  assert.equal(unknown.ok, false);
  assert.match((unknown as { reason: string }).reason, /memory of its GPUs is unknown/);
});

test('gpu usage lists memory per GPU and the replicas sharing it', () => {
  const u = gpuUsage(gpus, [
    { replicaId: 'a', gpus: [0], memoryMb: 10 * GI },
    { replicaId: 'b', gpus: [0], memoryMb: 6 * GI },
    { replicaId: 'c', gpus: [1, 2] },
  ]);
  assert.deepEqual(
    u.map((g) => [g.index, g.usedMb / GI, g.freeMb / GI, g.whole, g.replicas]),
    [
      [0, 16, 24, false, ['a', 'b']],
      [1, 40, 0, true, ['c']],
      [2, 40, 0, true, ['c']],
      [3, 0, 40, false, []],
    ],
  );
});

test('quota: a fractional replica counts its share of a GPU', () => {
  assert.equal(gpusPerReplica({ gpuCount: 1, gpuMemoryMb: 10 * GI }, 40 * GI), 0.25);
  assert.equal(gpusPerReplica({ gpuCount: 2, gpuMemoryMb: null }, 40 * GI), 2);
  const p = placeableReplicas({ gpuType: 'a100', quota: undefined, inventory: 4, usedByOthers: 1.5 }, 0.25);
  assert.equal(p.replicas, 10);
});

test('sizes: units of Mi, Gi, Ti; anything else is refused naming the field', () => {
  assert.equal(parseMemorySize('6Gi', 'gpuMemory'), 6 * GI);
  assert.equal(parseMemorySize('512Mi', 'gpuMemory'), 512);
  assert.equal(parseMemorySize('1.5GiB', 'gpuMemory'), 1536);
  for (const bad of ['6', '6GB', 'lots', '6 parsecs', '0Mi'])
    assert.throws(
      () => parseMemorySize(bad, 'gpuMemory'),
      (e: Error & { code?: string; details?: { field?: string } }) => e.code === 'invalid_argument' && /memory size/.test(e.message),
      bad,
    );
  assert.equal(formatMemory(10 * GI), '10Gi');
  assert.equal(formatMemory(1536), '1.5Gi');
  assert.equal(formatMemory(300), '300Mi');
  assert.deepEqual(gpuSharing('80Gi', undefined), { packing: 'binpack', virtualGpuMemoryMb: 80 * GI });
  assert.throws(() => gpuSharing(undefined, 'tetris'), /--packing: must be one of binpack, spread/);
});
