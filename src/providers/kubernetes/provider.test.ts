// Verified against the in-memory fake API over HTTP with the real @kubernetes/client-node; not against a live cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/clock.js';
import { engineDriver } from '../../engines/registry.js';
import type { ExitInfo, ReplicaHandle } from '../types.js';
import { KubernetesProvider } from './provider.js';
import { H100_NODE_LABELS, KARPENTER_L4_LABELS, startFakeKube, testZone, until, type FakeKube } from './testkit.js';

const driver = engineDriver('sim');
const launch = { modelName: 'm', engineParams: '', gpus: [], gpuCount: 1 };
const target = (gpuType = 'h100') => ({ zone: 'fake-eks', gpuType, drainTimeoutMs: 30_000, labels: {} });

async function setup(k: FakeKube, logs: string[] = []) {
  const p = new KubernetesProvider({ zone: testZone(), kubeConfig: k.kc, clock: systemClock, log: (l) => logs.push(l), scaleDownTimeoutMs: 5000 });
  assert.equal(await p.init(), true);
  const exits: ExitInfo[] = [];
  p.onExit((e) => exits.push(e));
  return { p, exits, logs };
}

const pods = (k: FakeKube) => k.cluster.list('pods', k.namespace).items.filter((p) => !p.metadata.deletionTimestamp);
const scaleWrites = (k: FakeKube) =>
  k.server.requests
    .filter((r) => r.path.endsWith('/scale') && (r.method === 'PUT' || r.method === 'PATCH'))
    .map((r) => (r.body as { spec: { replicas: number } }).spec.replicas);

describe('KubernetesProvider against the fake API (HTTP, real client library)', () => {
  let k: FakeKube;
  before(async () => {
    k = await startFakeKube();
    k.controllers.addNode('gpu-a', H100_NODE_LABELS, 8);
  });
  after(() => k.close());

  it('creates the objects, raises the count through the scale subresource, and binds a ready pod', async () => {
    const { p } = await setup(k);
    const h = await p.start('chat-aaa', 'chat', driver, launch, target());
    const dep = k.cluster.list('deployments', k.namespace).items[0];
    assert.match(dep.metadata.name, /^chat-[0-9a-f]{8}$/);
    assert.ok(k.cluster.tryGet('services', k.namespace, 'chat') && k.cluster.tryGet('poddisruptionbudgets', k.namespace, 'chat'));
    assert.deepEqual(scaleWrites(k), [1]);
    await until(async () => (await p.probe(h)) === 'ready', 'replica ready');
    const pod = await until(() => pods(k).find((x) => x.metadata.annotations?.['inferscale.dev/replica'] === 'chat-aaa'), 'pod bound by annotation');
    assert.equal(pod.spec.containers[0].resources.limits['nvidia.com/gpu'], '1');
    await p.stop(h, 1000);
    assert.deepEqual(scaleWrites(k), [1, 0]);
    assert.equal(await p.probe(h), 'gone');
    await p.stop(h, 1000); // idempotent
    await p.removeDeployment('chat');
    await until(() => k.cluster.list('deployments', k.namespace).items.length === 0 && !k.cluster.tryGet('services', k.namespace, 'chat'), 'objects deleted');
    await p.close();
  });

  it('scales down by removing the drained pod, not the one the ReplicaSet would pick by age', async () => {
    const { p } = await setup(k);
    const hs: ReplicaHandle[] = [];
    for (const id of ['m-1', 'm-2', 'm-3']) hs.push(await p.start(id, 'mid', driver, launch, target()));
    for (const h of hs) await until(async () => (await p.probe(h)) === 'ready', `${h.replicaId} ready`);
    const chosen = pods(k).find((x) => x.metadata.annotations?.['inferscale.dev/replica'] === 'm-2')!;
    await p.stop(hs[1], 1000);
    const last = p.scaleDowns.at(-1)!;
    assert.equal(last.chosen, chosen.metadata.name);
    assert.equal(last.removed, chosen.metadata.name);
    assert.ok(!pods(k).some((x) => x.metadata.name === chosen.metadata.name), 'the drained pod went');
    assert.equal(await p.probe(hs[0]), 'ready');
    assert.equal(await p.probe(hs[2]), 'ready');
    for (const h of [hs[0], hs[2]]) await p.stop(h, 1000);
    await p.removeDeployment('mid');
    await p.close();
  });

  it('reports a pod pending on node provisioning as waiting for a GPU node, not as a failed start, until a node comes', async () => {
    const { p } = await setup(k);
    const h = await p.start('l4-1', 'small', driver, launch, target('l4'));
    await until(() => p.describe(h)?.startsWith('waiting for a GPU node (Karpenter) for '), 'pending reason');
    assert.equal(p.waitingForCapacity(h), true);
    assert.equal(await p.probe(h), 'starting');
    assert.match(p.describe(h)!, /0\/1 nodes are available/);
    k.controllers.addNode('karpenter-l4-1', KARPENTER_L4_LABELS, 1); // what Karpenter does for the pending pod
    await until(async () => (await p.probe(h)) === 'ready', 'ready once the node came');
    assert.equal(p.waitingForCapacity(h), false);
    await p.stop(h, 1000);
    await p.removeDeployment('small');
    await p.close();
  });

  it('reports a pod deleted or evicted behind its back at once (deletion timestamp), so it leaves rotation', async () => {
    const k3 = await startFakeKube({ autoFinalize: false }); // pods stay terminating: the exit must come from the deletion timestamp
    k3.controllers.addNode('gpu-c', H100_NODE_LABELS, 8);
    try {
      const { p, exits } = await setup(k3);
      const h = await p.start('ev-1', 'evict', driver, launch, target());
      await until(async () => (await p.probe(h)) === 'ready', 'ready');
      const pod = await until(() => pods(k3).find((x) => x.metadata.annotations?.['inferscale.dev/replica'] === 'ev-1'), 'bound');
      k3.cluster.delete('pods', k3.namespace, pod.metadata.name, 30);
      await until(() => exits.length === 1, 'exit reported');
      assert.deepEqual(exits[0], { replicaId: 'ev-1', code: null, signal: 'pod terminating' });
      assert.equal(await p.probe(h), 'gone');
      await p.close();
    } finally {
      await k3.close();
    }
  });

  it('when the ReplicaSet removes another pod (a not-ready one goes first), the drained pod returns to rotation as that replica', async () => {
    let holdNotReady = false;
    const k2 = await startFakeKube({ autoReady: () => !holdNotReady });
    k2.controllers.addNode('gpu-b', H100_NODE_LABELS, 8);
    try {
      const { p, exits, logs } = await setup(k2);
      const h1 = await p.start('sw-1', 'swap', driver, launch, target());
      await until(async () => (await p.probe(h1)) === 'ready', 'sw-1 ready');
      holdNotReady = true; // the next pod loads its model for a long time
      const h2 = await p.start('sw-2', 'swap', driver, launch, target());
      await until(() => p.describe(h2)?.includes('loading the model'), 'sw-2 running, not ready');
      const drained = pods(k2).find((x) => x.metadata.annotations?.['inferscale.dev/replica'] === 'sw-1')!.metadata.name;
      await p.stop(h1, 1000);
      const last = p.scaleDowns.at(-1)!;
      assert.equal(last.chosen, drained);
      assert.notEqual(last.removed, drained, 'the ReplicaSet deleted the not-ready pod first');
      assert.equal(last.chosenServesAs, 'sw-2');
      assert.equal(await p.probe(h2), 'ready', 'sw-2 now serves on the drained, ready pod');
      await until(() => k2.cluster.tryGet('pods', k2.namespace, drained)?.metadata.annotations?.['inferscale.dev/replica'] === 'sw-2', 'rebound by annotation');
      assert.equal(k2.cluster.tryGet('pods', k2.namespace, drained)?.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'], undefined);
      assert.deepEqual(exits, [], 'no replica lost');
      assert.ok(logs.some((l) => l.includes('instead of the drained')));
      await p.stop(h2, 1000);
      await p.close();
    } finally {
      await k2.close();
    }
  });

  it('refuses to fight another writer of the replica count (an HPA, or KEDA through its HPA)', async () => {
    const { p } = await setup(k);
    const h = await p.start('hpa-1', 'hpa', driver, launch, target());
    const workload = k.cluster.list('deployments', k.namespace).items.find((d) => d.metadata.labels?.['inferscale.dev/deployment'] === 'hpa')!.metadata.name;
    k.cluster.create('horizontalpodautoscalers', k.namespace, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'keda-hpa-hpa' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workload }, minReplicas: 1, maxReplicas: 5 },
    });
    await assert.rejects(p.start('hpa-2', 'hpa', driver, launch, target()), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'conflict');
      assert.match(e.message, /scaled by HorizontalPodAutoscaler keda-hpa-hpa \(made by the KEDA ScaledObject hpa\); inferscale will not fight/);
      return true;
    });
    assert.equal(k.cluster.getScale(k.namespace, workload).spec.replicas, 1, 'count untouched');
    k.cluster.delete('horizontalpodautoscalers', k.namespace, 'keda-hpa-hpa');
    await p.stop(h, 1000);
    await p.removeDeployment('hpa');
    await p.close();
  });

  it('adopts its pods after a restart by their replica annotation, and refuses replicas whose pod is gone', async () => {
    const { p } = await setup(k);
    const h = await p.start('ad-1', 'adopt', driver, launch, target());
    await until(() => pods(k).some((x) => x.metadata.annotations?.['inferscale.dev/replica'] === 'ad-1'), 'bound');
    await p.close();
    const { p: next } = await setup(k);
    assert.equal(next.adopt(h), true);
    assert.equal(next.adopt({ ...h, replicaId: 'ad-unknown' }), false);
    assert.equal(await next.probe(h), 'ready');
    assert.deepEqual(await next.logs('adopt', 'ad-1', 1), [
      `pod ${pods(k).find((x) => x.metadata.annotations?.['inferscale.dev/replica'] === 'ad-1')!.metadata.name} serving`,
    ]);
    await next.stop(h, 1000);
    await next.removeDeployment('adopt');
    await next.close();
  });
});
