// Tests of the fake API itself: it must behave like the parts of Kubernetes inferscale depends on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCluster, type KObj, type WatchEvent } from './cluster.js';
import { podsToDelete } from './deletion-order.js';
import type { ApiStatusError } from './errors.js';

const t0 = Date.parse('2025-01-01T00:00:00Z');
function pod(
  name: string,
  o: { node?: string; phase?: string; ready?: boolean; readyAt?: number; cost?: number; restarts?: number; created?: number } = {},
): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      creationTimestamp: new Date(o.created ?? t0).toISOString(),
      annotations: o.cost === undefined ? {} : { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) },
    },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: new Date(o.readyAt ?? t0).toISOString() }],
      containerStatuses: [{ restartCount: o.restarts ?? 0 }],
    },
  };
}

describe('the fake ReplicaSet deletes pods in the documented order', () => {
  const order = (pods: KObj[]) => podsToDelete(pods, pods.length).map((p) => p.metadata.name);
  it('unassigned, then Pending before Running, then not ready before ready', () => {
    assert.deepEqual(
      order([
        pod('ready', { node: 'n1' }),
        pod('notready', { node: 'n2', ready: false }),
        pod('pending', { node: 'n3', phase: 'Pending', ready: false }),
        pod('unassigned', { phase: 'Pending', ready: false }),
      ]),
      ['unassigned', 'pending', 'notready', 'ready'],
    );
  });
  it('then the lower pod-deletion-cost, but only among pods equal on the rules before it', () => {
    assert.deepEqual(order([pod('a', { node: 'n1' }), pod('b', { node: 'n2', cost: -5 }), pod('c', { node: 'n3', cost: 10 })]), ['b', 'a', 'c']);
    assert.deepEqual(order([pod('cheap-ready', { node: 'n1', cost: -100 }), pod('notready', { node: 'n2', ready: false, cost: 100 })]), [
      'notready',
      'cheap-ready',
    ]);
  });
  it('then doubled-up nodes, shorter readiness, more restarts, newer pods', () => {
    assert.deepEqual(
      order([pod('alone', { node: 'n1' }), pod('dup1', { node: 'n2' }), pod('dup2', { node: 'n2' })])
        .slice(0, 1)[0]
        .startsWith('dup'),
      true,
    );
    assert.deepEqual(order([pod('old', { node: 'n1', readyAt: t0 }), pod('young', { node: 'n2', readyAt: t0 + 60_000 })]), ['young', 'old']);
    assert.deepEqual(order([pod('calm', { node: 'n1' }), pod('crashy', { node: 'n2', restarts: 3 })]), ['crashy', 'calm']);
    assert.deepEqual(order([pod('older', { node: 'n1', created: t0 }), pod('newer', { node: 'n2', created: t0 + 1000 })]), ['newer', 'older']);
  });
});

describe('the fake API store', () => {
  it('versions every write, refuses stale updates, keeps status apart, bumps generation on spec changes', () => {
    const c = new FakeCluster();
    const d = c.create('deployments', 'ns', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } });
    assert.equal(d.metadata.generation, 1);
    const s = c.replace('deployments', 'ns', 'd', { ...d, status: { readyReplicas: 1 } }, 'status');
    assert.equal(s.status.readyReplicas, 1);
    assert.ok(Number(s.metadata.resourceVersion) > Number(d.metadata.resourceVersion));
    assert.throws(
      () => c.replace('deployments', 'ns', 'd', { ...d, spec: { replicas: 2 } }),
      (e: ApiStatusError) => e.code === 409,
    );
    const u = c.replace('deployments', 'ns', 'd', { ...s, spec: { replicas: 2 }, status: { readyReplicas: 99 } });
    assert.equal(u.metadata.generation, 2);
    assert.equal(u.status.readyReplicas, 1, 'a write to the object does not change status');
    assert.equal(c.getScale('ns', 'd').spec.replicas, 2);
    assert.throws(
      () => c.create('deployments', 'ns', d),
      (e: ApiStatusError) => e.code === 409 && e.reason === 'AlreadyExists',
    );
  });

  it('resumes watches from a resource version and answers 410 Gone once compacted', () => {
    const c = new FakeCluster();
    const a = c.create('pods', 'ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } });
    c.create('pods', 'ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' } });
    const got: WatchEvent[] = [];
    const stop = c.watch('pods', 'ns', undefined, Number(a.metadata.resourceVersion), (e) => got.push(e));
    assert.deepEqual(
      got.map((e) => `${e.type}:${e.object.metadata.name}`),
      ['ADDED:b'],
    );
    c.delete('pods', 'ns', 'a');
    assert.deepEqual(
      got.map((e) => `${e.type}:${e.object.metadata.name}`),
      ['ADDED:b', 'DELETED:a'],
    );
    stop();
    c.compact();
    assert.throws(
      () => c.watch('pods', 'ns', undefined, Number(a.metadata.resourceVersion), () => undefined),
      (e: ApiStatusError) => e.code === 410,
    );
  });

  it('deletes scheduled pods gracefully (deletion timestamp first) and garbage-collects dependents', () => {
    const c = new FakeCluster();
    const owner = c.create('replicasets', 'ns', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { replicas: 1 } });
    c.create('pods', 'ns', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner.metadata.uid!, controller: true }] },
      spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30 },
    });
    c.delete('replicasets', 'ns', 'rs');
    assert.ok(c.get('pods', 'ns', 'p').metadata.deletionTimestamp, 'terminating, not gone');
    c.finalize('pods', 'ns', 'p');
    assert.equal(c.tryGet('pods', 'ns', 'p'), undefined);
  });

  it('an object with finalizers gets a deletion timestamp, and goes when an update removes the last one', () => {
    const c = new FakeCluster();
    c.create('inferencedeployments', 'ns', {
      apiVersion: 'inferscale.dev/v1alpha1',
      kind: 'InferenceDeployment',
      metadata: { name: 'x', finalizers: ['a', 'b'] },
      spec: { replicas: 1 },
    });
    const deleting = c.delete('inferencedeployments', 'ns', 'x');
    assert.ok(deleting.metadata.deletionTimestamp);
    c.mutate('inferencedeployments', 'ns', 'x', (o) => void (o.metadata.finalizers = ['b']));
    assert.ok(c.tryGet('inferencedeployments', 'ns', 'x'), 'one finalizer left');
    c.mutate('inferencedeployments', 'ns', 'x', (o) => void (o.metadata.finalizers = []));
    assert.equal(c.tryGet('inferencedeployments', 'ns', 'x'), undefined);
  });
});
