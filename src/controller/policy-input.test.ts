import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicyInput } from './policy-input.js';

const parts = { now: 5_000, samples: [], ready: 0, starting: 1, draining: 2, desired: 1, coldStartMs: 30_000, queued: 7, history: [] };

test('requests waiting count as held at zero only while no replica is ready', () => {
  const atZero = buildPolicyInput(parts);
  assert.equal(atZero.heldAtZero, 7);
  assert.deepEqual(atZero.replicas, { ready: 0, starting: 1, draining: 2, desired: 1 });
  assert.equal('placeableReplicas' in atZero, false, 'unbounded: not said');
  const serving = buildPolicyInput({ ...parts, ready: 1, placeableReplicas: 20 });
  assert.equal(serving.heldAtZero, 0);
  assert.equal(serving.placeableReplicas, 20);
});
