import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { inProcessService } from './testkit.js';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
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
  assert.equal(r.reason, 'queue growing; capped at 16: the a5000 GPU quota of 40 (128 GPUs here), 8 in use by other deployments, place at most 16 of 2 GPUs each');
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
  const store = new Store(openDb(':memory:'));
  const told: DeploymentRow[] = [];
  const svc = new DeploymentService({
    store, clock, inventory: virtualGpus(8, 'a5000'), keys: new KeyBox('ab'.repeat(32)),
    provider: new LocalProvider({ clock, logDir: tmpdir(), inventory: virtualGpus(8, 'a5000') }), baseUrl: () => 'http://127.0.0.1', kick: () => undefined, keyChanged: (d) => told.push(d),
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
