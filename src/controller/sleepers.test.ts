import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evictForRam, pickWakes } from './sleepers.js';
import { virtualGpus } from '../placement/inventory.js';

const GiB = 2 ** 30;

test('RAM over budget stops the least recently slept sleepers until the rest fit', () => {
  const s = [
    { id: 'a', sleptAt: 300, ramBytes: 10 * GiB, gpus: [0] },
    { id: 'b', sleptAt: 100, ramBytes: 10 * GiB, gpus: [1] },
    { id: 'c', sleptAt: 200, ramBytes: 10 * GiB, gpus: [2] },
  ];
  assert.deepEqual(evictForRam(s, 30 * GiB), []);
  assert.deepEqual(
    evictForRam(s, 25 * GiB).map((x) => x.id),
    ['b'],
  );
  assert.deepEqual(
    evictForRam(s, 5 * GiB).map((x) => x.id),
    ['b', 'c', 'a'],
  );
});

test('wakes the most recently slept sleeper with room where it is bound; one whose GPU another replica holds is blocked', () => {
  const devices = virtualGpus(3, 'a100');
  const s = [
    { id: 'old', sleptAt: 100, ramBytes: 0, gpus: [0] },
    { id: 'new', sleptAt: 200, ramBytes: 0, gpus: [1] },
    { id: 'taken', sleptAt: 300, ramBytes: 0, gpus: [2] },
  ];
  const one = pickWakes(s, devices, [{ replicaId: 'x', gpus: [2] }], 1);
  assert.deepEqual(
    one.wake.map((x) => x.id),
    ['new'],
  );
  assert.deepEqual(
    one.blocked.map((x) => x.id),
    ['taken'],
  );
  assert.deepEqual(
    pickWakes(s, devices, [], 5).wake.map((x) => x.id),
    ['taken', 'new', 'old'],
  );
  // two sleepers bound to the same GPU: only one can wake there
  const same = [
    { id: 'x', sleptAt: 1, ramBytes: 0, gpus: [0] },
    { id: 'y', sleptAt: 2, ramBytes: 0, gpus: [0] },
  ];
  const r = pickWakes(same, devices, [], 2);
  assert.deepEqual(
    r.wake.map((x) => x.id),
    ['y'],
  );
  assert.deepEqual(r.blocked, []);
});

test('a fractional sleeper wakes beside other replicas on its GPU while its share is free there, not once it is taken', () => {
  const devices = virtualGpus(1, 'a100', 40 * 1024);
  const sleeper = [{ id: 's', sleptAt: 1, ramBytes: 0, gpus: [0], memoryMb: 10 * 1024 }];
  const beside = [{ replicaId: 'a', gpus: [0], memoryMb: 30 * 1024 }];
  assert.deepEqual(
    pickWakes(sleeper, devices, beside, 1).wake.map((x) => x.id),
    ['s'],
  );
  const full = [...beside, { replicaId: 'b', gpus: [0], memoryMb: 1024 }];
  assert.deepEqual(
    pickWakes(sleeper, devices, full, 1).blocked.map((x) => x.id),
    ['s'],
  );
  // a whole-GPU replica on its GPU leaves it no room at all
  assert.deepEqual(
    pickWakes(sleeper, devices, [{ replicaId: 'w', gpus: [0] }], 1).blocked.map((x) => x.id),
    ['s'],
  );
  // two fractional sleepers of one deployment on one GPU: both wake while both shares fit, the older waits when only one does
  const two = [...sleeper, { id: 't', sleptAt: 2, ramBytes: 0, gpus: [0], memoryMb: 10 * 1024 }];
  assert.deepEqual(
    pickWakes(two, devices, [{ replicaId: 'a', gpus: [0], memoryMb: 20 * 1024 }], 2).wake.map((x) => x.id),
    ['t', 's'],
  );
  const tight = pickWakes(two, devices, [{ replicaId: 'a', gpus: [0], memoryMb: 25 * 1024 }], 2);
  assert.deepEqual([tight.wake.map((x) => x.id), tight.blocked], [['t'], []]);
});
