// The whole server with a Kubernetes zone that tells spot nodes apart: API, reconciler, gateway. The cluster is
// the fake API over HTTP (real @kubernetes/client-node); every pod's engine is one local sim engine, so a
// reclaimed pod's engine never dies here: what this checks is that rotation, replacement and the gateway lose
// no request while spot replicas leave and come back. Verified only against the fake.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimEngine, startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { KARPENTER_L4_LABELS, startFakeKube, testZone, type FakeKube } from '../providers/kubernetes/testkit.js';
import { markDisruptionTarget, podsOnNode, reclaimNode } from '../providers/kubernetes/fake/disruption.js';

const GPU_TAINT = { key: 'nvidia.com/gpu', effect: 'NoSchedule' };
const node = (capacity: string) => ({ ...KARPENTER_L4_LABELS, 'karpenter.sh/capacity-type': capacity });

describe('a mixed deployment in a Kubernetes zone with spot nodes (fake API), through the gateway', () => {
  let k: FakeKube;
  let t: TestServer;
  let engine: { port: number; kill(): void };
  before(async () => {
    k = await startFakeKube();
    k.controllers.addNode('od-1', node('on-demand'), 4, [GPU_TAINT]);
    k.controllers.addNode('spot-1', node('spot'), 4, [GPU_TAINT]);
    engine = await startSimEngine({ itlMs: 5 });
    const zone = testZone({
      spot: { labelKey: 'karpenter.sh/capacity-type', spotValue: 'spot', onDemandValue: 'on-demand', taints: [], fallbackAfterSeconds: 300 },
    });
    t = await startTestServer({
      zones: { file: { zones: [zone] }, kubeConfigFor: () => k.kc, podAddress: () => ({ host: '127.0.0.1', port: engine.port }) },
    });
  });
  after(async () => {
    await t.close();
    engine.kill();
    await k.close();
  });

  const nodesOfPods = () =>
    k.cluster
      .list('pods', k.namespace)
      .items.filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.['inferscale.dev/deployment'] === 'mix')
      .map((p) => p.spec?.nodeName)
      .sort();

  it('floor 1 of 3: 1 on-demand and 2 spot pods; a spot node reclaimed with notice under steady load loses 0 requests', async () => {
    const r = await t.api('POST', '/deployments', {
      name: 'mix',
      modelName: 'm',
      zone: 'fake-eks',
      gpuType: 'l4',
      replicas: 3,
      capacity: 'mixed',
      onDemandFloor: 1,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.capacity, { capacity: 'mixed', onDemandFloor: 1 });
    await waitFor(async () => (await t.api('GET', '/deployments/mix')).body.readyReplicas === 3, { what: 'mix ready' });
    assert.deepEqual(nodesOfPods(), ['od-1', 'spot-1', 'spot-1']);

    // steady load: 4 clients, one request after another each, until told to stop
    let stop = false;
    const results: number[] = [];
    const client = async () => {
      while (!stop) {
        const res = await fetch(`${t.url}/d/mix/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${r.body.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
        });
        await res.arrayBuffer();
        results.push(res.status);
      }
    };
    const clients = [client(), client(), client(), client()];
    await waitFor(() => results.length >= 20, { what: 'load flowing' });

    // the notice: both spot pods leave rotation, then the node goes; a spot node comes back and replacements land there
    for (const p of podsOnNode(k.cluster, 'spot-1')) markDisruptionTarget(k.cluster, p.namespace, p.name);
    await waitFor(async () => (await t.api('GET', '/deployments/mix')).body.readyReplicas <= 1, { what: 'spot replicas out of rotation' });
    const during = results.length;
    reclaimNode(k.cluster, 'spot-1');
    k.controllers.addNode('spot-2', node('spot'), 4, [GPU_TAINT]);
    await waitFor(async () => (await t.api('GET', '/deployments/mix')).body.readyReplicas === 3, { what: 'replacements ready', timeoutMs: 30_000 });
    await waitFor(() => results.length >= during + 20, { what: 'load after the reclaim' });
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(nodesOfPods(), ['od-1', 'spot-2', 'spot-2']);
    const failed = results.filter((s) => s !== 200);
    assert.equal(failed.length, 0, `${failed.length} of ${results.length} requests failed: ${[...new Set(failed)].join(', ')}`);
    assert.ok(results.length >= 40);
  });
});
