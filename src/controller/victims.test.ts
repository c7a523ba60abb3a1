import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVictims, victimOrder, type VictimFacts } from './victims.js';

test('victim order: pending, then starting newest first, then ready with the fewest in flight, oldest first among equals', () => {
  const list: (VictimFacts & { id: string })[] = [
    { id: 'ready-old-2', stage: 'ready', inflight: 2, createdAt: 1 },
    { id: 'ready-new-1', stage: 'ready', inflight: 1, createdAt: 5 },
    { id: 'ready-old-1', stage: 'ready', inflight: 1, createdAt: 2 },
    { id: 'starting-old', stage: 'starting', inflight: 0, createdAt: 3 },
    { id: 'starting-new', stage: 'starting', inflight: 0, createdAt: 6 },
    { id: 'pending', stage: 'pending', inflight: 0, createdAt: 0 },
  ];
  assert.deepEqual(
    victimOrder(list, (r) => r).map((r) => r.id),
    ['pending', 'starting-new', 'starting-old', 'ready-old-1', 'ready-new-1', 'ready-old-2'],
  );
  assert.deepEqual(list[0].id, 'ready-old-2', 'the input is left as it was');
  assert.equal(compareVictims(list[3], list[3]), 0);
});
