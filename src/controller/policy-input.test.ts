import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicyInput, deploymentSleeps, sleepTier, WAKE_SHARE_OF_COLD_START } from './policy-input.js';

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

test('the sleeping tier: count and median of recent wakes; before any wake a share of the cold start; nothing where replicas stop', () => {
  const rows = [
    { state: 'sleeping', wakeMs: 900, readyAt: 10 },
    { state: 'ready', wakeMs: 1500, readyAt: 30 },
    { state: 'sleeping', wakeMs: 1100, readyAt: 20 },
    { state: 'stopped', wakeMs: null, readyAt: 5 },
  ];
  assert.deepEqual(sleepTier(rows, true, 60_000), { sleeping: 2, wakeMs: 1100 });
  assert.deepEqual(sleepTier([{ state: 'ready', wakeMs: null, readyAt: 1 }], true, 60_000), { sleeping: 0, wakeMs: 60_000 * WAKE_SHARE_OF_COLD_START });
  assert.deepEqual(sleepTier(rows, false, 60_000), {});
  const input = buildPolicyInput({
    now: 0,
    samples: [],
    ready: 0,
    starting: 0,
    draining: 0,
    desired: 0,
    coldStartMs: 60_000,
    queued: 0,
    history: [],
    ...sleepTier(rows, true, 60_000),
  });
  assert.deepEqual([input.sleeping, input.wakeMs], [2, 1100]);
  assert.equal(
    'wakeMs' in buildPolicyInput({ now: 0, samples: [], ready: 0, starting: 0, draining: 0, desired: 0, coldStartMs: 1, queued: 0, history: [] }),
    false,
  );
});

test('a deployment sleeps where it idles by sleep and its engine has a sleep mode', () => {
  const auto = (idle?: 'sleep' | 'stop') => ({ idle }) as never;
  assert.equal(deploymentSleeps({ engine: 'vllm', autoscale: auto('sleep') }), true);
  assert.equal(deploymentSleeps({ engine: 'sglang', autoscale: auto('sleep') }), false);
  assert.equal(deploymentSleeps({ engine: 'sim', autoscale: auto('stop') }), false);
  assert.equal(deploymentSleeps({ engine: 'sim', autoscale: null }), false);
});
