import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { inProcessService } from './testkit.js';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { KeyBox, hashKey } from '../security/secrets.js';
import { LocalProvider } from '../providers/local/provider.js';
import { DeploymentService, DEFAULT_KEY_GRACE_S } from './deployments.js';

function setup() {
  const { store, deployments: svc } = inProcessService();
  const events = (name: string) => store.listEvents(store.getDeploymentByName(name)!.id, { kind: 'autoscale' }).map((e) => e.message);
  return { store, svc, events };
}

test('one replica bound: manual scale accepts what autoscaling does, up to 1000', () => {
  const { svc } = setup();
  svc.create({ name: 'manual', modelName: 'm', replicas: 0 });
  assert.equal(svc.scale('manual', { replicas: 100 }).replicas, 100);
  assert.throws(() => svc.scale('manual', { replicas: 1001 }), /replicas: must be between 0 and 1000/);
  assert.throws(() => svc.scale('manual', { replicas: 129 }), /quota_exceeded|above the 128 a5000 GPUs/);
});

test('an autoscaler decision above 64 is applied and recorded with its reason', () => {
  const { svc, events } = setup();
  svc.create({ name: 'big', modelName: 'm', replicas: 0 });
  svc.setAutoscale('big', { minReplicas: 0, maxReplicas: 1000 });
  assert.deepEqual(svc.applyAutoscale('big', 100, '400 requests / target 4'), { replicas: 100, reason: '400 requests / target 4' });
  assert.equal(svc.get('big').replicas, 100);
  assert.deepEqual(events('big'), ['autoscaled 0 -> 100: 400 requests / target 4']);
});

test('an autoscaler decision above what quota and GPUs place is capped, the cap said in the reason, not dropped', () => {
  const { svc, store, events } = setup();
  svc.create({ name: 'other', modelName: 'm', replicas: 8 });
  svc.create({ name: 'big', modelName: 'm', replicas: 2, gpuCount: 2 });
  svc.setAutoscale('big', { minReplicas: 1, maxReplicas: 1000 });
  svc.setGpuQuota('a5000', 40);
  const r = svc.applyAutoscale('big', 50, 'queue growing');
  assert.equal(r.replicas, 16, '(40 - 8 used by "other") / 2 GPUs each');
  assert.equal(
    r.reason,
    'queue growing; capped at 16: the a5000 GPU quota of 40 (128 GPUs here), 8 in use by other deployments, place at most 16 of 2 GPUs each',
  );
  assert.equal(store.getDeploymentByName('big')!.replicas, 16);
  assert.deepEqual(events('big'), [`autoscaled 2 -> 16: ${r.reason}`]);
  // at the cap already: nothing to write, the reason still says why
  assert.equal(svc.applyAutoscale('big', 50, 'queue growing').replicas, 16);
  assert.equal(events('big').length, 1);
  // and the spec's maximum caps as well
  svc.setAutoscale('big', { maxReplicas: 10 });
  assert.deepEqual(svc.applyAutoscale('big', 12, 'x'), { replicas: 10, reason: 'x; capped at 10: the autoscale maximum' });
});

test('rotate-api-key: the old key is kept for the grace (default 5 min, 0: none), written durably, and the gateway is told before it returns', () => {
  const clock = new FakeClock(Date.UTC(2025, 0, 6));
  const store = new Store(openDb(':memory:', SCHEMA));
  const told: DeploymentRow[] = [];
  const svc = new DeploymentService({
    store,
    clock,
    inventory: virtualGpus(8, 'a5000'),
    keys: new KeyBox('ab'.repeat(32)),
    provider: new LocalProvider({ clock, logDir: tmpdir(), inventory: virtualGpus(8, 'a5000') }),
    baseUrl: () => 'http://127.0.0.1',
    kick: () => undefined,
    keyChanged: (d) => told.push(d),
  });
  const synchronousAtWrite: number[] = [];
  const addEvent = store.addEvent.bind(store);
  store.addEvent = (...a) => {
    synchronousAtWrite.push(store.db.pragma('synchronous', { simple: true }) as number);
    addEvent(...a);
  };
  const first = svc.create({ name: 'chat', modelName: 'm', replicas: 0 }).apiKey!;
  const r = svc.rotateKey('chat', {});
  const row = store.getDeploymentByName('chat')!;
  assert.ok(row.apiKeyHash.equals(hashKey(r.apiKey)));
  assert.ok(row.previousKeyHash!.equals(hashKey(first)));
  assert.equal(row.previousKeyUntil, clock.now() + DEFAULT_KEY_GRACE_S * 1000);
  assert.equal(r.previousKeyValidUntil, row.previousKeyUntil);
  assert.equal(DEFAULT_KEY_GRACE_S, 300);
  assert.equal(told.length, 1);
  assert.ok(told[0].apiKeyHash.equals(row.apiKeyHash) && told[0].previousKeyHash!.equals(row.previousKeyHash!));
  const none = svc.rotateKey('chat', { graceSeconds: 0 });
  assert.equal(none.previousKeyValidUntil, null);
  assert.equal(store.getDeploymentByName('chat')!.previousKeyHash, null);
  assert.deepEqual(synchronousAtWrite, [2, 2, 2], 'create and both rotations commit with synchronous = FULL');
  assert.equal(store.db.pragma('synchronous', { simple: true }), 1, 'and the file goes back to NORMAL');
  assert.throws(() => svc.rotateKey('chat', { graceSeconds: -1 }), /graceSeconds: must be a whole number/);
  assert.throws(() => svc.rotateKey('chat', { graceSeconds: '10m' }), /graceSeconds/);
});

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

test('quota: creation and growth are refused past it, at it they pass; shrinking is allowed even above a lowered quota', () => {
  const { svc, store } = setup();
  svc.setGpuQuota('a5000', 6);
  svc.create({ name: 'a', modelName: 'm', gpuCount: 2, replicas: 2 });
  assert.throws(() => svc.create({ name: 'b', modelName: 'm', gpuCount: 2, replicas: 2 }), code('quota_exceeded'));
  assert.equal(store.getDeploymentByName('b'), undefined, 'a refused create writes nothing');
  svc.create({ name: 'b', modelName: 'm', gpuCount: 2, replicas: 1 });
  assert.deepEqual(svc.gpuLimits(), [{ gpuType: 'a5000', used: 6, max: 6, quota: 6, inventory: 128 }]);
  assert.throws(() => svc.scale('a', { replicas: 3 }), code('quota_exceeded'));
  svc.setGpuQuota('a5000', 2);
  assert.equal(svc.scale('a', { replicas: 1 }).replicas, 1, 'a scale-down is never refused by quota');
  assert.throws(() => svc.scale('a', { replicas: 2 }), code('quota_exceeded'));
  svc.setGpuQuota('a5000', null);
  assert.equal(svc.scale('a', { replicas: 2 }).replicas, 2, 'without a quota the inventory bounds it');
  assert.throws(() => svc.setGpuQuota('a5000', -1), code('invalid_argument'));
  assert.throws(() => svc.setGpuQuota('A5000', 1), code('invalid_argument'));
});

test('the GPU count and type are fixed after creation: the same value passes, another is refused and nothing changes', () => {
  const { svc, store } = setup();
  svc.create({ name: 'chat', modelName: 'm', gpuCount: 2, replicas: 1 });
  const before = store.getDeploymentByName('chat');
  assert.throws(
    () => svc.update('chat', { gpuCount: 4 }),
    (e: unknown) => code('immutable_field')(e) && /fixed at creation \(2\)/.test((e as Error).message),
  );
  assert.throws(() => svc.update('chat', { gpuType: 'h100', maxOngoingRequests: 2 }), code('immutable_field'));
  assert.deepEqual(store.getDeploymentByName('chat'), before, 'a refused update writes nothing, not even its other fields');
  assert.equal(svc.update('chat', { gpuCount: 2, gpuType: 'a5000', maxOngoingRequests: 2 }).maxOngoingRequests, 2);
  assert.equal(store.getDeploymentByName('chat')!.gpuCount, 2);
});

test('replica bounds: 0 and 1000 are accepted, a non-integer or out-of-range count refused; the same count writes nothing', () => {
  const { svc, store } = setup();
  const d = svc.create({ name: 'zero', modelName: 'm', replicas: 0 });
  assert.equal(d.status, 'stopped');
  assert.throws(() => svc.create({ name: 'big', modelName: 'm', replicas: 1001 }), /replicas: must be between 0 and 1000/);
  assert.throws(() => svc.scale('zero', { replicas: -1 }), /replicas: must be between 0 and 1000/);
  assert.throws(() => svc.scale('zero', { replicas: 2.5 }), code('invalid_argument'));
  const wide = inProcessService(1000);
  wide.deployments.create({ name: 'wide', modelName: 'm', replicas: 0 });
  assert.equal(wide.deployments.scale('wide', { replicas: 1000 }).replicas, 1000);
  const events = store.listEvents(d.id).length;
  assert.equal(svc.scale('zero', { replicas: 0 }).replicas, 0);
  assert.equal(store.listEvents(d.id).length, events, 'no event for a scale to the same count');
});

test('an autoscaled deployment refuses a manual scale until autoscaling is off; turned off, the count stays', () => {
  const { svc } = setup();
  svc.create({ name: 'chat', modelName: 'm', replicas: 2 });
  svc.setAutoscale('chat', { minReplicas: 1, maxReplicas: 4 });
  assert.throws(() => svc.scale('chat', { replicas: 3 }), code('autoscaling_enabled'));
  const off = svc.disableAutoscale('chat');
  assert.deepEqual([off.autoscale, off.replicas], [null, 2]);
  assert.equal(svc.scale('chat', { replicas: 3 }).replicas, 3);
  assert.deepEqual(svc.applyAutoscale('chat', 1, 'idle'), { replicas: 3, reason: 'autoscaling is off: the decision is not applied' });
});

test('key rotation: a second rotation within the grace keeps the key it replaces (not the first); reveal gives the newest', () => {
  const { deployments: svc, store, clock } = inProcessService();
  svc.create({ name: 'chat', modelName: 'm', replicas: 0 });
  const second = svc.rotateKey('chat', { graceSeconds: 60 }).apiKey;
  clock.advance(10_000);
  const third = svc.rotateKey('chat', { graceSeconds: 60 });
  const row = store.getDeploymentByName('chat')!;
  assert.ok(row.previousKeyHash!.equals(hashKey(second)));
  assert.equal(row.previousKeyUntil, clock.now() + 60_000);
  assert.equal(svc.revealKey('chat'), third.apiKey);
  assert.deepEqual(
    store.listEvents(row.id, { kind: 'key' }).map((e) => e.message),
    [
      `API key rotated; the old key works until ${new Date(clock.now() - 10_000 + 60_000).toISOString()} (60 s)`,
      `API key rotated; the old key works until ${new Date(clock.now() + 60_000).toISOString()} (60 s)`,
    ],
  );
  assert.throws(() => svc.rotateKey('nope', {}), code('not_found'));
});

test('delete: the name answers not_found at once, but is not free until the reconciler removes the row', () => {
  const { svc, store } = setup();
  svc.create({ name: 'chat', modelName: 'm', replicas: 2 });
  svc.delete('chat');
  assert.throws(() => svc.get('chat'), code('not_found'));
  assert.throws(() => svc.scale('chat', { replicas: 1 }), code('not_found'));
  assert.throws(() => svc.delete('chat'), code('not_found'));
  const row = store.getDeploymentByName('chat')!;
  assert.deepEqual([row.deleting, row.replicas, row.status], [true, 0, 'deleting']);
  assert.throws(() => svc.create({ name: 'chat', modelName: 'm' }), code('already_exists'));
  store.deleteDeployment(row.id);
  assert.equal(svc.create({ name: 'chat', modelName: 'm', replicas: 0 }).name, 'chat');
});

test('an update of the engine params or model rolls the replicas (a new generation); a limit or a label does not', () => {
  const { svc, store } = setup();
  svc.create({ name: 'chat', modelName: 'm', replicas: 1 });
  svc.update('chat', { maxQueuedRequests: 5, labels: { a: 'b' } });
  assert.equal(store.getDeploymentByName('chat')!.generation, 1);
  svc.update('chat', { modelName: 'm2' });
  const row = store.getDeploymentByName('chat')!;
  assert.deepEqual([row.generation, row.status, row.modelName], [2, 'updating', 'm2']);
  assert.deepEqual(
    store.listEvents(row.id, { kind: 'update' }).map((e) => e.message),
    ['updated maxQueuedRequests, labels', 'updated modelName, status, statusDetails: rolling replicas one at a time'],
  );
});
