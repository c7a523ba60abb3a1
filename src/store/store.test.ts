import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from './db.js';
import { SCHEMA } from './schema.js';
import { Store, type DeploymentRow } from './store.js';
import type { Replica } from '../domain/types.js';
import { deploymentRow } from '../test/rows.js';

test('events are pruned by age and by count, per deployment, the newest kept', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  const day = 86_400_000;
  const now = 100 * day;
  for (let i = 0; i < 30; i++) store.addEvent('a', now - (40 - i) * day, 'x', `a${i}`); // a0..a9 older than 30 days
  for (let i = 0; i < 5; i++) store.addEvent('b', now - 1000 + i, 'x', `b${i}`);
  store.pruneEvents('a', now, 30 * day, 15);
  const a = store.listEvents('a', { limit: 100 }).map((e) => e.message);
  assert.deepEqual(
    a,
    Array.from({ length: 15 }, (_, i) => `a${i + 15}`),
    'past 30 days gone, then the newest 15 kept',
  );
  store.pruneEvents('a', now, 30 * day, 15);
  assert.equal(store.listEvents('a', { limit: 100 }).length, 15, 'at the bound: nothing more goes');
  assert.equal(store.listEvents('b', { limit: 100 }).length, 5, 'another deployment untouched');
  store.pruneEvents('b', now);
  assert.equal(store.listEvents('b', { limit: 100 }).length, 5);
});

function replica(o: Partial<Replica> & { id: string }): Replica {
  return {
    deploymentId: 'd1',
    state: 'ready',
    stateReason: '',
    gpus: [],
    pid: null,
    port: null,
    generation: 1,
    createdAt: 0,
    startedAt: null,
    readyAt: null,
    stoppedAt: null,
    coldStartMs: null,
    exitInfo: '',
    ...o,
  };
}

test('a deployment row round-trips every field; an update writes only known columns', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  const autoscale = { minReplicas: 0, maxReplicas: 4 } as unknown as DeploymentRow['autoscale'];
  const row = deploymentRow({ labels: { team: 'a' }, autoscale, apiKeyHash: Buffer.from('hash'), everReady: true, createdAt: 5, updatedAt: 6 });
  store.insertDeployment(row);
  assert.deepEqual(store.getDeployment('d1'), { ...row, previousKeyHash: null, previousKeyUntil: null });
  store.updateDeployment('d1', { replicas: 3, deleting: true, autoscale: null, name: 'renamed', gpuCount: 8 } as Partial<DeploymentRow>);
  const d = store.getDeploymentByName('chat')!;
  assert.deepEqual([d.replicas, d.deleting, d.autoscale, d.gpuCount], [3, true, null, 2], 'name and gpuCount are not updatable columns');
  store.insertDeployment(deploymentRow({ id: 'd0', name: 'alpha' }));
  assert.deepEqual(
    store.listDeployments().map((x) => x.name),
    ['alpha', 'chat'],
    'sorted by name',
  );
  assert.throws(() => store.insertDeployment(deploymentRow({ id: 'd2' })), /UNIQUE constraint failed: deployments.name/);
});

test('replica rows: listed oldest first, filtered by state, live across deployments, pruned to the newest finished, gone with their deployment', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  store.insertDeployment(deploymentRow());
  store.insertDeployment(deploymentRow({ id: 'd2', name: 'other' }));
  store.insertReplica(replica({ id: 'r2', createdAt: 2, state: 'starting', gpus: [0, 1], pid: 10, pidStart: 'Mon 1', port: 9000 }));
  store.insertReplica(replica({ id: 'r1', createdAt: 1, state: 'ready', coldStartMs: 900, readyAt: 10 }));
  store.insertReplica(replica({ id: 'o1', deploymentId: 'd2', createdAt: 3, state: 'draining' }));
  for (let i = 0; i < 5; i++)
    store.insertReplica(replica({ id: `s${i}`, createdAt: 10 + i, state: i % 2 ? 'failed' : 'stopped', coldStartMs: 100 + i, readyAt: 20 + i }));
  assert.deepEqual(
    store.listReplicas('d1').map((r) => r.id),
    ['r1', 'r2', 's0', 's1', 's2', 's3', 's4'],
  );
  assert.deepEqual(
    store.listReplicas('d1', ['starting', 'ready']).map((r) => r.id),
    ['r1', 'r2'],
  );
  assert.deepEqual(
    store.listLiveReplicas().map((r) => r.id),
    ['r1', 'r2', 'o1'],
  );
  const r2 = store.listReplicas('d1', ['starting'])[0];
  assert.deepEqual([r2.gpus, r2.pid, r2.pidStart, r2.port], [[0, 1], 10, 'Mon 1', 9000]);
  assert.deepEqual(store.recentColdStarts('d1', 3), [104, 103, 102], 'newest ready first');

  store.updateReplica('r2', { state: 'ready', readyAt: 30, coldStartMs: 1200, id: 'x' } as Partial<Replica>);
  assert.deepEqual(store.recentColdStarts('d1', 1), [1200]);
  assert.equal(store.listReplicas('d1', ['ready']).length, 2, 'the id is not an updatable column');

  store.pruneReplicas('d1', 2);
  assert.deepEqual(
    store.listReplicas('d1').map((r) => r.id),
    ['r1', 'r2', 's3', 's4'],
    'finished rows beyond the newest 2 dropped; live ones kept',
  );
  store.deleteDeployment('d1');
  assert.deepEqual(store.listReplicas('d1'), []);
  assert.deepEqual(
    store.listLiveReplicas().map((r) => r.id),
    ['o1'],
  );
});

test('events: filtered by kind and time, data kept as JSON, deleted per deployment', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  store.addEvent('a', 10, 'scale', 'scaled 1 -> 2', { from: 1, to: 2 });
  store.addEvent('a', 20, 'autoscale', 'autoscaled 2 -> 3');
  store.addEvent('b', 30, 'scale', 'other');
  assert.deepEqual(
    store.listEvents('a').map((e) => [e.at, e.kind, e.message, e.data]),
    [
      [10, 'scale', 'scaled 1 -> 2', { from: 1, to: 2 }],
      [20, 'autoscale', 'autoscaled 2 -> 3', null],
    ],
  );
  assert.deepEqual(
    store.listEvents('a', { kind: 'scale' }).map((e) => e.message),
    ['scaled 1 -> 2'],
  );
  assert.deepEqual(
    store.listEvents('a', { since: 15 }).map((e) => e.at),
    [20],
  );
  assert.deepEqual(
    store.listEvents('a', { limit: 1 }).map((e) => e.at),
    [20],
    'the newest within the limit',
  );
  store.deleteEvents('a');
  assert.deepEqual(store.listEvents('a'), []);
  assert.equal(store.listEvents('b').length, 1);
});

test('settings and GPU quotas: read back, overwritten, removed', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  assert.equal(store.getSetting('k'), undefined);
  store.setSetting('k', 'v1');
  store.setSetting('k', 'v2');
  assert.equal(store.getSetting('k'), 'v2');
  assert.deepEqual(store.getQuotas(), {});
  store.setQuota('a5000', 8);
  store.setQuota('h100', 2);
  store.setQuota('a5000', 4);
  assert.deepEqual(store.getQuotas(), { a5000: 4, h100: 2 });
  store.setQuota('h100', null);
  assert.deepEqual(store.getQuotas(), { a5000: 4 });
});

test('a transaction that throws writes nothing; a durable one goes back to synchronous NORMAL even when it throws', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  assert.throws(
    () =>
      store.transaction(() => {
        store.setSetting('k', 'v');
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(store.getSetting('k'), undefined);
  assert.throws(
    () =>
      store.durableTransaction(() => {
        assert.equal(store.db.pragma('synchronous', { simple: true }), 2, 'FULL inside');
        store.insertDeployment(deploymentRow());
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(store.getDeployment('d1'), undefined);
  assert.equal(store.db.pragma('synchronous', { simple: true }), 1);
});
