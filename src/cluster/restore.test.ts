import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentRow } from '../store/store.js';
import type { PodView } from '../providers/kubernetes/pods.js';
import { applyRestore, planRestore, type RestoredDeployment } from './restore.js';
import { Store } from '../store/store.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { CapacityStore } from '../service/capacity-store.js';

const row = (over: Partial<RestoredDeployment>): RestoredDeployment => ({
  id: 'id-chat',
  name: 'chat',
  modelName: 'm',
  engine: 'sim',
  engineParams: '',
  gpuType: 'h100',
  gpuCount: 1,
  replicas: 2,
  zone: 'eks',
  status: 'ready',
  statusDetails: '',
  maxOngoingRequests: 8,
  maxQueuedRequests: 100,
  queueTimeoutMs: 1000,
  drainTimeoutMs: 1000,
  autoscale: null,
  labels: {},
  apiKeyHash: Buffer.alloc(32, 1),
  apiKeySealed: 'sealed',
  createdAt: 100,
  updatedAt: 100,
  generation: 2,
  everReady: true,
  deleting: false,
  ...over,
});
const pod = (over: Partial<PodView>): PodView => ({
  name: 'chat-abc-1',
  deployment: 'chat',
  workload: 'chat-abc',
  replicaId: 'r1',
  ip: '10.0.0.1',
  ready: true,
  terminating: false,
  finished: false,
  nodeName: 'n1',
  unschedulable: undefined,
  createdAt: 50,
  waitingReason: undefined,
  restarts: 0,
  ...over,
});
const workload = () => ['chat-abc'];

test('an empty leader takes every deployment from the cluster and adopts the running pods with their replica ids', () => {
  const plan = planRestore(
    { deployments: [], liveReplicaIds: new Set(), quotas: {} },
    {
      deployments: [row({})],
      resourceNames: new Set(['chat']),
      quotas: { h100: 8 },
      enginePorts: new Map([['eks', 8000]]),
      pods: new Map([
        [
          'eks',
          [pod({}), pod({ name: 'chat-old-1', workload: 'chat-old', replicaId: 'r2', ready: false }), pod({ name: 'x', replicaId: 'r3', terminating: true })],
        ],
      ]),
    },
    workload,
    1_000,
  );
  assert.equal(plan.insert.length, 1);
  assert.equal(plan.insert[0].apiKeySealed, 'sealed');
  assert.deepEqual(
    plan.replicas.map((r) => [r.id, r.state, r.generation, r.deploymentId]),
    [
      ['r1', 'ready', 2, 'id-chat'],
      ['r2', 'starting', 1, 'id-chat'],
    ],
  );
  assert.equal(plan.replicas[0].coldStartMs, null, 'an adopted pod is not a cold start');
  assert.equal(plan.replicas[0].port, 8000);
  assert.deepEqual(plan.quotas, [{ gpuType: 'h100', max: 8 }]);
  assert.deepEqual(plan.orphans, []);
});

test('a stale leader drops what was deleted, updates what changed, keeps replicas it knows, and removes orphaned objects', () => {
  const plan = planRestore(
    {
      deployments: [row({ replicas: 5, apiKeySealed: 'old' }), row({ id: 'id-gone', name: 'gone' })],
      liveReplicaIds: new Set(['r1']),
      quotas: { a100: 2, h100: 4 },
    },
    {
      deployments: [row({})],
      resourceNames: new Set(['chat', 'half-written']),
      quotas: { h100: 4 },
      enginePorts: new Map([['eks', 8000]]),
      pods: new Map([
        ['eks', [pod({}), pod({ name: 'gone-1', deployment: 'gone', replicaId: 'g1' }), pod({ name: 'hw-1', deployment: 'half-written', replicaId: 'h1' })]],
      ]),
    },
    workload,
    1_000,
  );
  assert.deepEqual(plan.remove, [{ id: 'id-gone', name: 'gone' }]);
  assert.deepEqual(
    plan.update.map((u) => [u.id, Object.keys(u.patch).sort()]),
    [['id-chat', ['apiKeySealed', 'replicas', 'updatedAt']]],
  );
  assert.equal(plan.update[0].patch.replicas, 2);
  assert.deepEqual(plan.replicas, [], 'r1 is already a live replica row');
  assert.deepEqual(plan.quotas, [{ gpuType: 'a100', max: null }]);
  // a resource without its key Secret is incomplete, not deleted: its pods are left alone
  assert.deepEqual(plan.orphans, [{ zone: 'eks', deployment: 'gone' }]);
});

test('a resource being deleted (kubectl delete while no leader ran) comes back as a deployment being deleted, with its pods adopted so that they drain', () => {
  const plan = planRestore(
    { deployments: [row({})], liveReplicaIds: new Set(), quotas: {} },
    {
      deployments: [row({ deleting: true, replicas: 0 }), row({ id: 'id-new', name: 'new', deleting: true, replicas: 0 })],
      resourceNames: new Set(['chat', 'new']),
      quotas: {},
      enginePorts: new Map([['eks', 8000]]),
      pods: new Map([['eks', [pod({}), pod({ name: 'new-1', deployment: 'new', replicaId: 'n1' })]]]),
    },
    workload,
    1_000,
  );
  assert.deepEqual(
    plan.update.map((u) => [u.id, u.patch.deleting, u.patch.replicas]),
    [['id-chat', true, 0]],
  );
  assert.deepEqual(
    plan.insert.map((d) => [d.name, d.deleting, d.status]),
    [['new', true, 'deleting']],
  );
  assert.deepEqual(plan.replicas.map((r) => r.id).sort(), ['n1', 'r1']);
  assert.deepEqual(plan.orphans, []);
});

test('a pod the previous leader was draining is restored as draining from its drain start (drain-marks.ts), not adopted as ready', () => {
  const plan = planRestore(
    { deployments: [], liveReplicaIds: new Set(), quotas: {} },
    {
      deployments: [row({ drainTimeoutMs: 60_000 })],
      resourceNames: new Set(['chat']),
      quotas: {},
      enginePorts: new Map([['eks', 8000]]),
      pods: new Map([['eks', [pod({}), pod({ name: 'chat-abc-2', replicaId: 'r2' })]]]),
      drainStarts: new Map([['r1', 40_000]]),
    },
    workload,
    45_000,
  );
  assert.deepEqual(
    plan.replicas.map((r) => [r.id, r.state, r.drainStartedAt ?? null]),
    [
      ['r1', 'draining', 40_000],
      ['r2', 'ready', null],
    ],
  );
});

test('what a deployment keeps beside its row (GPU memory, capacity and floor) is restored: inserted with it, updated where it differs', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  const capacities = new CapacityStore(store.db);
  const local = { deployments: [] as RestoredDeployment[], liveReplicaIds: new Set<string>(), quotas: {} };
  const mixed = { capacity: 'mixed' as const, onDemandFloor: 1 };
  const cluster = (rows: RestoredDeployment[]) => ({
    // as read from the cluster: no previous key
    deployments: rows.map((d) => ({ ...d, previousKeyHash: null, previousKeyUntil: null })),
    resourceNames: new Set(['chat']),
    quotas: {},
    pods: new Map(),
    enginePorts: new Map(),
  });
  const first = planRestore(local, cluster([row({ gpuMemoryMb: 10_240, capacity: mixed })]), workload, 1000);
  return applyRestore(first, { store, removeOrphan: async () => undefined, identity: 'b', now: 1000, log: () => undefined }).then(async () => {
    assert.equal(store.getDeployment('id-chat')?.gpuMemoryMb, 10_240);
    assert.deepEqual(capacities.get('id-chat'), mixed);
    const mine = store.listDeployments().map((d) => ({ ...d, capacity: capacities.get(d.id) }));
    const same = planRestore({ ...local, deployments: mine }, cluster([row({ gpuMemoryMb: 10_240, capacity: mixed })]), workload, 2000);
    assert.deepEqual(same.update, [], 'nothing differs');
    const edited = planRestore(
      { ...local, deployments: mine },
      cluster([row({ gpuMemoryMb: 10_240, capacity: { capacity: 'on-demand', onDemandFloor: 0 } })]),
      workload,
      2000,
    );
    assert.deepEqual(edited.update[0].patch, { capacity: { capacity: 'on-demand', onDemandFloor: 0 }, updatedAt: 2000 });
    await applyRestore(edited, { store, removeOrphan: async () => undefined, identity: 'b', now: 2000, log: () => undefined });
    assert.deepEqual(capacities.get('id-chat'), { capacity: 'on-demand', onDemandFloor: 0 });
    assert.equal(store.getDeployment('id-chat')?.gpuMemoryMb, 10_240);
  });
});
