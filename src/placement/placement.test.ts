import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplica, quotaViolation, maxReplicasWithinQuota } from './placement.js';
import { normaliseGpuType, parseNvidiaSmi, virtualGpus } from './inventory.js';

test('placement packs lowest free indices of the type, and says why when short', () => {
  const gpus = [...virtualGpus(4, 'a5000'), ...virtualGpus(2, 'h100').map((g) => ({ ...g, index: g.index + 4 }))];
  assert.deepEqual(placeReplica(gpus, new Set([0]), 'a5000', 2), { ok: true, gpus: [1, 2] });
  assert.deepEqual(placeReplica(gpus, new Set([0, 1, 2]), 'a5000', 2), { ok: false, reason: 'needs 2 x a5000, 1 free' });
  assert.deepEqual(placeReplica(gpus, new Set(), 'h100', 2), { ok: true, gpus: [4, 5] });
  const none = placeReplica(gpus, new Set(), 'l4', 1);
  assert.equal(none.ok, false);
  assert.match((none as { reason: string }).reason, /no l4 GPU on this machine \(has: a5000, h100\)/);
});

test('quota: an explicit quota or the inventory bounds the GPUs wanted, naming the numbers', () => {
  assert.equal(quotaViolation({ gpuType: 'a5000', quota: 8, inventory: 8, usedByOthers: 4, wanted: 4 }), undefined);
  assert.equal(
    quotaViolation({ gpuType: 'a5000', quota: 4, inventory: 8, usedByOthers: 2, wanted: 4 }),
    'would use 6 a5000 GPUs (4 for this deployment + 2 in use), above the a5000 GPU quota of 4',
  );
  assert.match(
    quotaViolation({ gpuType: 'a5000', quota: undefined, inventory: 8, usedByOthers: 6, wanted: 4 })!,
    /above the 8 a5000 GPUs of this machine \(no quota set\)/,
  );
  assert.equal(maxReplicasWithinQuota({ gpuType: 'a5000', quota: 7, inventory: 8, usedByOthers: 2 }, 2), 2);
});

test('nvidia-smi output is parsed and product names normalised to types', () => {
  const out = '0, NVIDIA A100-SXM4-80GB, 81920\n1, NVIDIA GeForce RTX 4090, 24564\n2, NVIDIA RTX A5000, 24564\n3, NVIDIA H100 80GB HBM3, 81559\n';
  assert.deepEqual(
    parseNvidiaSmi(out).map((g) => [g.index, g.type, g.memoryMb]),
    [
      [0, 'a100', 81920],
      [1, 'rtx4090', 24564],
      [2, 'a5000', 24564],
      [3, 'h100', 81559],
    ],
  );
  assert.equal(normaliseGpuType('Tesla T4'), 't4');
  assert.equal(normaliseGpuType('NVIDIA L40S'), 'l40s');
});
