// The whole server with two Kubernetes zones on the fake API over HTTP (real @kubernetes/client-node): one runs
// whole GPUs only, the other shares its GPUs by time-slicing (4 slices of an 80Gi H100). Pods' engines are one
// local engine simulator. Verified only against the fake API, not a live cluster with the GPU operator.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimEngine, startTestServer, waitFor, type TestServer } from '../../test/harness.js';
import { H100_NODE_LABELS, startFakeKube, testZone, type FakeKube } from './testkit.js';
import { validateObject } from './validate.js';

const SHARED = 'nvidia.com/gpu.shared';

describe('fractional GPU deployments in Kubernetes zones (fake API)', () => {
  let k: FakeKube;
  let t: TestServer;
  let engine: { port: number; kill(): void };
  before(async () => {
    k = await startFakeKube();
    k.controllers.addNode('whole-a', H100_NODE_LABELS, 8);
    // the GPU operator's time-slicing with renameByDefault: the node offers 4 slices of its one GPU, no nvidia.com/gpu
    k.controllers.addNode('sliced-a', H100_NODE_LABELS, 0, [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }], { [SHARED]: 4 });
    engine = await startSimEngine();
    const h100 = testZone().gpuTypes.h100;
    const sliced = testZone({
      name: 'sliced',
      namespace: 'sliced',
      fractionalGpus: { mode: 'time-slicing', resource: SHARED, slicesPerGpu: 4 },
      gpuTypes: { h100: { ...h100, memory: '80Gi' } },
    });
    t = await startTestServer({
      zones: { file: { zones: [testZone(), sliced] }, kubeConfigFor: () => k.kc, podAddress: () => ({ host: '127.0.0.1', port: engine.port }) },
    });
  });
  after(async () => {
    await t.close();
    engine.kill();
    await k.close();
  });

  const create = (zone: string, gpuMemory: string, replicas: number) =>
    t.api('POST', '/deployments', { name: 'frac', modelName: 'm', zone, gpuType: 'h100', gpuMemory, replicas });
  const podsOf = (ns: string) => k.cluster.list('pods', ns, 'inferscale.dev/deployment=frac').items.filter((p) => !p.metadata.deletionTimestamp);

  it('a zone without fractionalGpus refuses with a stable code naming gpuMemory, and nothing is created', async () => {
    const r = await create('fake-eks', '10Gi', 1);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'unsupported');
    assert.equal(r.body.error.field, 'gpuMemory');
    assert.equal(r.body.error.details.reason, 'no_fractional_gpus');
    assert.match(r.body.error.message, /zone "fake-eks" runs whole GPUs only/);
    const tooBig = await create('sliced', '30Gi', 1);
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.body.error.details.reason, 'larger_than_slice');
    assert.match(tooBig.body.error.message, /30Gi is more than one of the 4 time-slicing slices of a h100 GPU in zone "sliced" \(20Gi\)/);
    assert.equal((await t.api('GET', '/deployments/frac')).status, 404);
    assert.equal(k.cluster.list('deployments', 'inference').items.length + k.cluster.list('deployments', 'sliced').items.length, 0);
  });

  it('four 20Gi replicas share the one GPU of the sliced node, each asking one slice; a fifth waits for a slice; requests are served', async () => {
    const r = await create('sliced', '20Gi', 4);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.gpuMemory, '20Gi');
    await waitFor(async () => (await t.api('GET', '/deployments/frac')).body.readyReplicas === 4, { what: '4 ready' });
    const pods = podsOf('sliced');
    assert.deepEqual(
      pods.map((p) => p.spec.nodeName),
      ['sliced-a', 'sliced-a', 'sliced-a', 'sliced-a'],
    );
    const [dep] = k.cluster.list('deployments', 'sliced').items;
    assert.deepEqual(validateObject({ ...dep, status: undefined, metadata: { name: dep.metadata.name, labels: dep.metadata.labels } }), []);
    const c = dep.spec.template.spec.containers[0];
    assert.deepEqual(c.resources.limits, { [SHARED]: '1' });
    assert.ok(c.env.some((e: { name: string; value?: string }) => e.name === 'INFERSCALE_GPU_MEMORY_MIB' && e.value === String(20 * 1024)));

    const res = await fetch(`${t.url}/d/frac/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${r.body.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    // each replica holds one of the GPU's 4 slices: the cost ledger charges it a quarter of a GPU
    const shares = await waitFor(
      async () => {
        const got = (await t.api('GET', '/cost?since=1h')).body.shares as { deployment: string; gpus: number }[];
        return got.length ? got : undefined;
      },
      { what: 'the fractional share in the cost report' },
    );
    assert.deepEqual(shares, [{ deployment: 'frac', gpus: 0.25 }]);

    assert.equal((await t.api('POST', '/deployments/frac/scale', { replicas: 5 })).status, 200);
    const waiting = await waitFor(
      () => podsOf('sliced').find((p) => !p.spec.nodeName && p.status?.conditions?.some((x: { reason?: string }) => x.reason === 'Unschedulable')),
      { what: 'the fifth pod unschedulable' },
    );
    assert.match(waiting!.status.conditions.find((x: { reason?: string }) => x.reason === 'Unschedulable').message, /insufficient nvidia\.com\/gpu\.shared/);
    assert.equal((await t.api('GET', '/deployments/frac')).body.readyReplicas, 4);
    assert.equal(podsOf('inference').length, 0, 'nothing in the whole-GPU zone');

    assert.equal((await t.api('DELETE', '/deployments/frac')).status, 202);
    await waitFor(() => k.cluster.list('deployments', 'sliced').items.length === 0, { what: 'objects removed' });
  });
});
