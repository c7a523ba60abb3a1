import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveStatus } from './status.js';
import type { ReplicaState } from './types.js';

const r = (state: ReplicaState, generation = 1, stateReason = '') => ({ state, generation, stateReason });

test('status follows the replicas: creating, deploying, ready, scaling, stopped, updating, error, deleting', () => {
  assert.equal(deriveStatus({ desired: 2, replicas: [r('pending', 1, 'needs 2 x a5000, 1 free')], everReady: false, generation: 1 }).status, 'deploying');
  assert.equal(deriveStatus({ desired: 2, replicas: [], everReady: false, generation: 1 }).status, 'creating');
  const ready = deriveStatus({ desired: 2, replicas: [r('ready'), r('ready')], everReady: true, generation: 1 });
  assert.deepEqual(ready, { status: 'ready', details: '2/2 ready' });
  const scaling = deriveStatus({ desired: 3, replicas: [r('ready'), r('ready'), r('pending', 1, 'needs 1 x a5000, 0 free')], everReady: true, generation: 1 });
  assert.deepEqual(scaling, { status: 'scaling', details: '2/3 ready, 1 pending: needs 1 x a5000, 0 free' });
  assert.equal(deriveStatus({ desired: 0, replicas: [r('draining')], everReady: true, generation: 1 }).status, 'scaling');
  assert.deepEqual(deriveStatus({ desired: 0, replicas: [], everReady: true, generation: 1 }), {
    status: 'stopped',
    details: 'scaled to zero; URL and API key are kept',
  });
  assert.equal(deriveStatus({ desired: 1, replicas: [r('ready', 1), r('starting', 2)], everReady: true, generation: 2 }).status, 'updating');
  assert.equal(deriveStatus({ desired: 1, replicas: [r('failed'), r('failed'), r('failed'), r('starting')], everReady: false, generation: 1 }).status, 'error');
  assert.equal(deriveStatus({ desired: 1, replicas: [r('ready')], everReady: true, generation: 1, deleting: true }).status, 'deleting');
});
