// The whole server with a Kubernetes zone: API, reconciler, gateway, CLI. The cluster is the fake API over
// HTTP (real @kubernetes/client-node); pods' engines are one local sim engine. Verified only against the fake.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { startFakeZone, type FakeZone } from '../test/fake-zone.js';
import type { FakeKube } from '../providers/kubernetes/testkit.js';
import { validateObject } from '../providers/kubernetes/validate.js';
import type { KubernetesProvider } from '../providers/kubernetes/provider.js';
import { startOrigin } from '../models/test-origin.js';

describe('a server with a Kubernetes zone (fake API)', () => {
  let k: FakeKube;
  let t: TestServer;
  let fz: FakeZone;
  before(async () => {
    fz = await startFakeZone({ withLlamacpp: true });
    k = fz.k;
    t = await startTestServer({ zones: fz.zones });
  });
  after(async () => {
    await t.close();
    await fz.close();
  });
  const provider = () => t.server.zones.kubernetes('fake-eks')!.provider as KubernetesProvider;

  it('zone list shows local and the Kubernetes zone with its GPU types and capacity', async () => {
    const { body } = await t.api('GET', '/zones');
    assert.deepEqual(
      body.zones.map((z: { name: string }) => z.name),
      ['local', 'fake-eks'],
    );
    const eks = body.zones[1];
    assert.deepEqual(
      eks.gpus.map((g: { gpuType: string; nodes: number; allocatable: number; limit: number | null }) => [g.gpuType, g.nodes, g.allocatable, g.limit]),
      [
        ['h100', 1, 8, 16],
        ['l4', 0, 0, null],
      ],
    );
    const cli = await t.cli(['zone', 'list']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /fake-eks\s+kubernetes/);
    assert.match(cli.stdout, /l4\s+0 on 0 nodes now\s+elastic \(karpenter\)/);
  });

  it('refuses unknown zones and GPU types a zone does not map', async () => {
    const bad = await t.api('POST', '/deployments', { name: 'nozone', modelName: 'm', zone: 'mars' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /unknown zone "mars" \(available: local, fake-eks\)/);
    const gpu = await t.api('POST', '/deployments', { name: 'nogpu', modelName: 'm', zone: 'fake-eks', gpuType: 'a100' });
    assert.equal(gpu.status, 409);
    assert.match(gpu.body.error.message, /zone "fake-eks" has no a100 GPUs \(has: h100, l4\)/);
  });

  it('create renders valid objects with GPU requests and affinity; pods serve through the gateway; scale writes the scale subresource and drains the chosen pod', async () => {
    const r = await t.api('POST', '/deployments', { name: 'chat', modelName: 'm', zone: 'fake-eks', gpuType: 'h100', gpuCount: 2, replicas: 2 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await waitFor(async () => (await t.api('GET', '/deployments/chat')).body.readyReplicas === 2, { what: 'chat ready' });
    const dep = k.cluster.list('deployments', k.namespace).items.find((d) => d.metadata.labels?.['inferscale.dev/deployment'] === 'chat')!;
    assert.deepEqual(validateObject({ ...dep, status: undefined, metadata: { name: dep.metadata.name, labels: dep.metadata.labels } }), []);
    const pod = dep.spec.template.spec;
    assert.equal(pod.containers[0].resources.limits['nvidia.com/gpu'], '2');
    assert.equal(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.length, 2);
    const res = await fetch(`${t.url}/d/chat/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${r.body.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();

    const scale = await t.api('POST', '/deployments/chat/scale', { replicas: 1 });
    assert.equal(scale.status, 200);
    await waitFor(() => k.cluster.getScale(k.namespace, dep.metadata.name).spec.replicas === 1, { what: 'scale subresource at 1' });
    const last = (await waitFor(() => provider().scaleDowns.at(-1), { what: 'the scale-down finished' }))!;
    assert.equal(last.removed, last.chosen, 'the drained pod is the one removed');
    assert.ok(k.server.requests.some((q) => q.method === 'PUT' && q.path.endsWith(`/deployments/${dep.metadata.name}/scale`)));

    const list = await t.cli(['deployment', 'list']);
    assert.match(list.stdout, /chat\s+fake-eks/);
    const exp = await t.api('GET', '/deployments/chat/export?format=json');
    assert.equal(exp.status, 200);
    assert.deepEqual(
      exp.body.items.map((o: { kind: string }) => o.kind),
      ['Deployment', 'Service', 'PodDisruptionBudget'],
    );
    const text = await (await fetch(`${t.url}/api/v1/deployments/chat/export`, { headers: { authorization: `Bearer ${t.server.adminToken}` } })).text();
    assert.match(text, /kind: Deployment[\s\S]*nvidia.com\/gpu: '2'[\s\S]*---\napiVersion: v1\nkind: Service/);

    assert.equal((await t.api('DELETE', '/deployments/chat')).status, 202);
    await waitFor(() => !k.cluster.tryGet('services', k.namespace, 'chat') && k.cluster.list('deployments', k.namespace).items.length === 0, {
      what: 'objects removed',
    });
  });

  it('a pod pending on node provisioning shows "waiting for a GPU node (Karpenter)", counts as coming capacity, and Retry-After includes node provisioning', async () => {
    const r = await t.api('POST', '/deployments', { name: 'small', modelName: 'm', zone: 'fake-eks', gpuType: 'l4', replicas: 1, queueTimeoutMs: 200 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const rep = await waitFor(
      async () => {
        const d = (await t.api('GET', '/deployments/small')).body;
        return d.replicaDetails.find((x: { stateReason: string }) => x.stateReason.startsWith('waiting for a GPU node (Karpenter) for '));
      },
      { what: 'pending reason' },
    );
    assert.equal(rep.state, 'starting');
    const res = await fetch(`${t.url}/d/small/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${r.body.apiKey}` },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, 'queue_timeout', 'queued for the coming replica, not refused');
    assert.ok(Number(res.headers.get('retry-after')) >= 300, `Retry-After ${res.headers.get('retry-after')} counts node provisioning`);
    k.controllers.addNode('karpenter-l4', { 'karpenter.k8s.aws/instance-gpu-name': 'l4' }, 1);
    await waitFor(async () => (await t.api('GET', '/deployments/small')).body.readyReplicas === 1, { what: 'ready once a node came' });
    assert.equal((await t.api('DELETE', '/deployments/small')).status, 202);
    await waitFor(() => !k.cluster.tryGet('services', k.namespace, 'small'), { what: 'small removed' });
  });

  it("llamacpp: pods fetch a model created from a URL (sha256 checked) or a gated hf: file (token from the zone's Secret); a model from a local file is refused at create", async () => {
    const origin = await startOrigin();
    try {
      origin.files.set('/tiny.gguf', { data: Buffer.from('GGUF tiny model bytes') });
      assert.equal((await t.api('POST', '/models', { name: 'tiny', from: `${origin.url}/tiny.gguf` })).status, 201);
      await waitFor(async () => (await t.api('GET', '/models/tiny')).body.state === 'ready', { what: 'model ready' });
      const sha = (await t.api('GET', '/models/tiny')).body.sha256;
      const created = await t.api('POST', '/deployments', {
        name: 'llm',
        modelName: 'tiny',
        engine: 'llamacpp',
        zone: 'fake-eks',
        gpuType: 'h100',
        replicas: 1,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const workload = await waitFor(() => k.cluster.list('deployments', k.namespace).items.find((o) => o.metadata.name.startsWith('llm-')), {
        what: 'llm workload',
      });
      const pod = (workload as unknown as { spec: { template: { spec: { initContainers: { args: string[] }[]; containers: { args: string[] }[] } } } }).spec
        .template.spec;
      assert.deepEqual(pod.initContainers[0].args, [
        '/app/dist/models/pod-fetch.js',
        '--url',
        `${origin.url}/tiny.gguf`,
        '--out',
        '/models/tiny.gguf',
        '--sha256',
        sha,
      ]);
      assert.ok(pod.containers[0].args.includes('/models/tiny.gguf'));
      assert.deepEqual(validateObject(workload as never), []);
      const exported = await t.api('GET', '/deployments/llm/export?format=json');
      assert.equal(exported.body.items[0].metadata.name, workload!.metadata.name, 'export renders the same template');
      assert.equal((await t.api('DELETE', '/deployments/llm')).status, 202);

      // a gated Hugging Face file: the server fetches it with --hf-token, pods with the zone's token Secret
      origin.files.set('/org/gated/resolve/main/g.gguf', { data: Buffer.from('GGUF gated bytes'), token: 'hf_x' });
      const saved = process.env.INFERSCALE_HF_ENDPOINT;
      process.env.INFERSCALE_HF_ENDPOINT = origin.url;
      try {
        assert.equal((await t.api('POST', '/models', { name: 'gated', from: 'hf:org/gated/g.gguf', hfToken: 'hf_x' })).status, 201);
        await waitFor(async () => (await t.api('GET', '/models/gated')).body.state === 'ready', { what: 'gated model ready' });
      } finally {
        if (saved === undefined) delete process.env.INFERSCALE_HF_ENDPOINT;
        else process.env.INFERSCALE_HF_ENDPOINT = saved;
      }
      assert.equal(
        (await t.api('POST', '/deployments', { name: 'gllm', modelName: 'gated', engine: 'llamacpp', zone: 'fake-eks', gpuType: 'h100', replicas: 1 })).status,
        201,
      );
      const gw = await waitFor(() => k.cluster.list('deployments', k.namespace).items.find((o) => o.metadata.name.startsWith('gllm-')), {
        what: 'gllm workload',
      });
      const init = (gw as unknown as { spec: { template: { spec: { initContainers: { args: string[]; env: unknown }[] } } } }).spec.template.spec
        .initContainers[0];
      assert.deepEqual(init.args.slice(-4), ['--auth', 'hf', '--token-secret', 'hf-token/token']);
      assert.deepEqual(init.env, [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token', optional: true } } }]);
      assert.equal(JSON.stringify(gw).includes('hf_x'), false, 'the token itself is never in the pod template');
      assert.equal((await t.api('DELETE', '/deployments/gllm')).status, 202);

      const dir = mkdtempSync(join(tmpdir(), 'local-model-'));
      writeFileSync(join(dir, 'local.gguf'), 'GGUF local');
      assert.equal((await t.api('POST', '/models', { name: 'local', from: join(dir, 'local.gguf') })).status, 201);
      await waitFor(async () => (await t.api('GET', '/models/local')).body.state === 'ready', { what: 'local model ready' });
      const refused = await t.api('POST', '/deployments', {
        name: 'llm2',
        modelName: 'local',
        engine: 'llamacpp',
        zone: 'fake-eks',
        gpuType: 'h100',
        replicas: 1,
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.field, 'modelName');
      assert.match(refused.body.error.message, /local file .* create it --from a URL/);
      assert.equal((await t.api('GET', '/deployments/llm2')).status, 404);
    } finally {
      await origin.close();
    }
  });
});
