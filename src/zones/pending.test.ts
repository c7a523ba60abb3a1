// Pending is not failure: the reconciler with a Kubernetes zone (fake API over HTTP) on a fake clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { Reconciler, type RouteSink } from '../controller/reconciler.js';
import { LocalProvider } from '../providers/local/provider.js';
import { KubernetesProvider } from '../providers/kubernetes/provider.js';
import { startFakeKube, testZone, until } from '../providers/kubernetes/testkit.js';
import { scaleToZeroGate } from '../autoscaler/pieces/scale-to-zero.js';
import type { ReplicaProvider } from '../providers/types.js';

const routes: RouteSink = { sync: () => undefined, readmit: () => undefined, remove: () => undefined, inflight: () => 0, ejected: () => false };

function row(over: Partial<DeploymentRow> = {}): DeploymentRow {
  return {
    id: 'd-1',
    name: 'slow',
    modelName: 'm',
    engine: 'sim',
    engineParams: '',
    gpuType: 'l4',
    gpuCount: 1,
    replicas: 1,
    zone: 'fake-eks',
    status: 'creating',
    statusDetails: '',
    maxOngoingRequests: 8,
    maxQueuedRequests: 10,
    queueTimeoutMs: 1000,
    drainTimeoutMs: 1000,
    autoscale: null,
    labels: {},
    apiKeyHash: Buffer.alloc(32),
    apiKeySealed: '',
    createdAt: 0,
    updatedAt: 0,
    generation: 1,
    everReady: false,
    deleting: false,
    ...over,
  };
}

describe('a replica waiting for a GPU node', () => {
  it('is reported with its age, outlives the startup timeout, is never counted as idle-scalable, and turns ready when a node comes', async () => {
    const k = await startFakeKube();
    const clock = new FakeClock(Date.parse('2025-06-01T12:00:00Z'));
    k.cluster.now = () => clock.now();
    const store = new Store(openDb(':memory:', SCHEMA));
    const kube = new KubernetesProvider({ zone: testZone(), kubeConfig: k.kc, clock, log: () => undefined });
    await kube.init();
    const local = new LocalProvider({ clock, logDir: '/nonexistent' });
    const logs: string[] = [];
    const rec = new Reconciler({
      store,
      providers: new Map<string, ReplicaProvider>([
        ['local', local],
        ['fake-eks', kube],
      ]),
      clock,
      inventory: [],
      routes,
      log: (l) => logs.push(l),
      startupTimeoutMs: 60_000,
    });
    try {
      store.insertDeployment(row());
      await rec.tick(); // creates the replica
      await rec.tick(); // starts it: the Deployment is scaled to 1, the pod is unschedulable (no l4 node)
      const replica = () => store.listReplicas('d-1')[0];
      assert.equal(replica().state, 'starting');
      await until(
        () =>
          kube.waitingForCapacity({ replicaId: replica().id, pid: null, port: replica().port!, url: '' }) &&
          kube.describe({ replicaId: replica().id, pid: null, port: 0, url: '' })?.includes('Karpenter'),
        'pod unschedulable',
      );
      clock.advance(10 * 60_000); // ten minutes: far past the 60 s startup timeout
      await rec.tick();
      assert.equal(replica().state, 'starting', 'not failed: waiting for capacity is not a failed start');
      assert.match(replica().stateReason, /^waiting for a GPU node \(Karpenter\) for 10m00s: 0\/0 nodes are available/);
      assert.ok(store.listEvents('d-1', { limit: 50 }).some((e) => e.message.includes('waiting for a GPU node (Karpenter)')));
      const gate = scaleToZeroGate({
        now: clock.now(),
        idleSince: 0,
        idleAfterMs: 1,
        minReplicas: 0,
        starting: store.listReplicas('d-1').filter((r) => r.state === 'starting').length,
        heldAtZero: 0,
      });
      assert.equal(gate.allowed, false, gate.reason);
      k.controllers.addNode('karpenter-l4', { 'karpenter.k8s.aws/instance-gpu-name': 'l4' }, 1);
      await until(() => kube.describe({ replicaId: replica().id, pid: null, port: 0, url: '' })?.endsWith('ready'), 'pod ready');
      await rec.tick();
      assert.equal(replica().state, 'ready');
      assert.equal(replica().coldStartMs, 10 * 60_000, 'the cold start includes node provisioning');
    } finally {
      await rec.stop();
      await kube.close();
      local.close();
      store.db.close();
      await k.close();
    }
  });
});
