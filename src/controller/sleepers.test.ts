import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evictForRam, pickWakes } from './sleepers.js';

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

test('wakes the most recently slept sleeper whose GPUs are free; one whose GPU another replica holds is blocked', () => {
  const s = [
    { id: 'old', sleptAt: 100, ramBytes: 0, gpus: [0] },
    { id: 'new', sleptAt: 200, ramBytes: 0, gpus: [1] },
    { id: 'taken', sleptAt: 300, ramBytes: 0, gpus: [2] },
  ];
  const one = pickWakes(s, new Set([2]), 1);
  assert.deepEqual(
    one.wake.map((x) => x.id),
    ['new'],
  );
  assert.deepEqual(
    one.blocked.map((x) => x.id),
    ['taken'],
  );
  assert.deepEqual(
    pickWakes(s, new Set(), 5).wake.map((x) => x.id),
    ['taken', 'new', 'old'],
  );
  // two sleepers bound to the same GPU: only one can wake there
  const same = [
    { id: 'x', sleptAt: 1, ramBytes: 0, gpus: [0] },
    { id: 'y', sleptAt: 2, ramBytes: 0, gpus: [0] },
  ];
  const r = pickWakes(same, new Set(), 2);
  assert.deepEqual(
    r.wake.map((x) => x.id),
    ['y'],
  );
  assert.deepEqual(r.blocked, []);
});
