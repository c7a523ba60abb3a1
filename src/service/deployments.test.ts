import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inProcessService } from './testkit.js';

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
