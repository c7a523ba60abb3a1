import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dumpYaml, loadAllYaml } from '@kubernetes/client-node';
import { engineDriver } from '../../engines/registry.js';
import { renderWorkload, type WorkloadSpec } from './render.js';
import { validateObject } from './validate.js';
import { testZone } from './testkit.js';

const spec = (over: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  name: 'chat',
  driver: engineDriver('vllm'),
  modelName: 'meta-llama/Llama-3.1-8B-Instruct',
  engineParams: '--max-model-len 8192',
  gpuType: 'h100',
  gpuCount: 2,
  drainTimeoutMs: 120_000,
  labels: { team: 'search' },
  replicas: 3,
  ...over,
});

describe('rendering a deployment for a Kubernetes zone', () => {
  it('renders a Deployment, headless Service and PDB that pass the Kubernetes schemas (kubernetes-models) and API rules', () => {
    const r = renderWorkload(testZone(), spec());
    for (const o of [r.deployment, r.service, r.pdb]) assert.deepEqual(validateObject(o as never), [], `${o.kind} is valid`);
    assert.equal(r.service.spec?.clusterIP, 'None');
    assert.equal(r.pdb.spec?.maxUnavailable, 1);
  });

  it('requests nvidia.com/gpu = the GPU count, tolerates the GPU taint, and finds GPU nodes through ordered label alternatives', () => {
    const pod = renderWorkload(testZone(), spec()).deployment.spec!.template.spec!;
    const c = pod.containers[0];
    assert.equal(c.resources?.limits?.['nvidia.com/gpu'], '2');
    assert.equal(c.resources?.requests?.['nvidia.com/gpu'], '2');
    assert.ok(pod.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.operator === 'Exists' && t.effect === 'NoSchedule'));
    const terms = pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    assert.deepEqual(
      terms.map((t) => t.matchExpressions![0]),
      [
        { key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-H100-80GB-HBM3'] },
        { key: 'karpenter.k8s.aws/instance-gpu-name', operator: 'In', values: ['h100'] },
      ],
    );
    assert.ok(!c.env?.some((e) => e.name === 'CUDA_VISIBLE_DEVICES'), 'the device plugin picks GPUs');
    assert.deepEqual(c.command, ['vllm']);
    assert.ok(c.args?.includes('--tensor-parallel-size') && c.args.includes('8192'));
  });

  it('probes the engine health path, loads models under a long startup probe, waits before SIGTERM and outlives the longest stream', () => {
    const zone = testZone({ preStopSeconds: 10, modelLoadTimeoutSeconds: 1800 });
    const pod = renderWorkload(zone, spec({ drainTimeoutMs: 300_000 })).deployment.spec!.template.spec!;
    const c = pod.containers[0];
    assert.equal(c.readinessProbe?.httpGet?.path, '/health');
    assert.ok((c.startupProbe!.periodSeconds ?? 0) * (c.startupProbe!.failureThreshold ?? 0) >= 1800);
    assert.deepEqual(c.lifecycle?.preStop?.exec?.command, ['sh', '-c', 'sleep 10']);
    assert.ok((pod.terminationGracePeriodSeconds ?? 0) > 10 + 300);
  });

  it('labels tie every object to the deployment; the template hash names the Deployment and changes with the template', () => {
    const a = renderWorkload(testZone(), spec());
    const b = renderWorkload(testZone(), spec({ engineParams: '--max-model-len 4096' }));
    assert.equal(a.workload, `chat-${a.templateHash}`);
    assert.notEqual(a.templateHash, b.templateHash);
    for (const o of [a.deployment, a.service, a.pdb]) {
      assert.equal(o.metadata?.labels?.['inferscale.dev/deployment'], 'chat');
      assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'inferscale');
      assert.equal(o.metadata?.labels?.team, 'search');
    }
    assert.deepEqual(renderWorkload(testZone(), spec()), a, 'pure');
  });

  it('runs the sim engine from the inferscale image and refuses an engine without an image or an unknown GPU type', () => {
    const c = renderWorkload(testZone(), spec({ driver: engineDriver('sim'), engineParams: '' })).deployment.spec!.template.spec!.containers[0];
    assert.deepEqual(c.command, ['node']);
    assert.equal(c.args?.[0], '/app/dist/engines/sim/main.js');
    assert.throws(() => renderWorkload(testZone({ images: {} }), spec()), /no image for the vllm engine/);
    assert.throws(() => renderWorkload(testZone(), spec({ gpuType: 'a100' })), /has no a100 GPUs \(has: h100, l4\)/);
  });

  it('survives the client library serializer unchanged (no field unknown to @kubernetes/client-node is dropped)', () => {
    const r = renderWorkload(testZone({ doNotDisrupt: true }), spec());
    for (const o of [r.deployment, r.service, r.pdb]) {
      // dumpYaml serializes through the library's typed models, the way request bodies are
      const roundTrip = JSON.parse(JSON.stringify(loadAllYaml(dumpYaml(o))[0]));
      assert.deepEqual(roundTrip, JSON.parse(JSON.stringify(o)), o.kind);
    }
  });

  it('reports invalid objects: bad names, labels, extended resources without limits, selectors that miss the template', () => {
    const r = renderWorkload(testZone(), spec());
    const bad = structuredClone(r.deployment) as any;
    bad.metadata.name = 'Bad_Name';
    bad.metadata.labels['x/'] = 'v';
    bad.spec.selector.matchLabels.extra = 'nope';
    bad.spec.template.spec.containers[0].resources = { requests: { 'nvidia.com/gpu': '1' } };
    const problems = validateObject(bad).join('\n');
    for (const p of ['metadata.name "Bad_Name"', 'label key "x/"', 'spec.selector extra=nope', 'nvidia.com/gpu needs a limit'])
      assert.match(problems, new RegExp(p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  });
});

describe('a llamacpp deployment in a Kubernetes zone', () => {
  const zone = testZone({ images: { llamacpp: 'ghcr.io/inferscale/inferscale:0.1.0' } });
  const model = { url: 'https://models.example/tiny.gguf', fileName: 'tiny.gguf', sha256: 'ab'.repeat(32) };
  const r = renderWorkload(zone, spec({ driver: engineDriver('llamacpp'), modelName: 'tiny', engineParams: '', model }));
  const pod = r.deployment.spec!.template.spec!;

  it('fetches the model into the pod (checked against its sha256) before the engine starts on it', () => {
    assert.deepEqual(validateObject(r.deployment as never), []);
    const init = pod.initContainers![0];
    assert.equal(init.name, 'fetch-model');
    assert.deepEqual(init.command, ['node']);
    assert.deepEqual(init.args, ['/app/dist/models/pod-fetch.js', '--url', model.url, '--out', '/models/tiny.gguf', '--sha256', model.sha256]);
    const engine = pod.containers[0];
    assert.deepEqual(engine.args!.slice(0, 1), ['/app/dist/engines/llamacpp/main.js']);
    assert.equal(engine.args![engine.args!.indexOf('--model-path') + 1], '/models/tiny.gguf');
    for (const c of [init, engine])
      assert.ok(
        c.volumeMounts?.some((m) => m.name === 'models' && m.mountPath === '/models'),
        c.name,
      );
    assert.ok(pod.volumes?.some((v) => v.name === 'models' && v.emptyDir));
  });

  it("a URL model is fetched without credentials; a Hugging Face file with the zone's token Secret, when the namespace has it", () => {
    assert.equal(pod.initContainers![0].env, undefined);
    assert.equal(pod.initContainers![0].args!.includes('--auth'), false);
    const hfZone = testZone({ images: { llamacpp: 'ghcr.io/inferscale/inferscale:0.1.0' }, hfTokenSecret: { name: 'hub', key: 'HF_TOKEN' } });
    const hf = renderWorkload(hfZone, spec({ driver: engineDriver('llamacpp'), modelName: 'tiny', engineParams: '', model: { ...model, auth: 'hf' } }));
    assert.deepEqual(validateObject(hf.deployment as never), []);
    const init = hf.deployment.spec!.template.spec!.initContainers![0];
    assert.deepEqual(init.args!.slice(-4), ['--auth', 'hf', '--token-secret', 'hub/HF_TOKEN']);
    assert.deepEqual(init.env, [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hub', key: 'HF_TOKEN', optional: true } } }]);
    // the token reaches the fetcher only: the engine never sees it
    assert.equal(JSON.stringify(hf.deployment.spec!.template.spec!.containers).includes('HF_TOKEN'), false);
  });

  it('a different model file is a different pod template (replicas roll)', () => {
    const other = renderWorkload(
      zone,
      spec({ driver: engineDriver('llamacpp'), modelName: 'tiny', engineParams: '', model: { ...model, sha256: 'cd'.repeat(32) } }),
    );
    assert.notEqual(other.templateHash, r.templateHash);
  });
});

describe("a vLLM deployment of a model repository, with the zone's model cache", () => {
  const sha = 'a1'.repeat(20);
  const model = {
    url: 'https://huggingface.co/org/llm',
    fileName: `org--llm--${sha}`,
    sha256: null,
    auth: 'hf' as const,
    repo: { revision: sha, include: ['*.json', '*.safetensors'] },
  };
  // the fetcher runs in the inferscale image (the zone's llamacpp image)
  const images = { llamacpp: 'ghcr.io/inferscale/inferscale:0.1.0', vllm: 'vllm/vllm-openai:v0.8.5' };
  const render = (modelCache: object, m: object = model) =>
    renderWorkload(testZone({ modelCache, images } as never), spec({ driver: engineDriver('vllm'), modelName: 'llm', engineParams: '', model: m as never }));

  it("node: a hostPath cache shared by the node's pods, filled by the init container at the pinned commit; the engine reads it offline", () => {
    const r = render({ type: 'node', path: '/var/lib/inferscale/models' });
    assert.deepEqual(validateObject(r.deployment as never), []);
    const pod = r.deployment.spec!.template.spec!;
    assert.deepEqual(
      pod.volumes!.find((v) => v.name === 'models'),
      { name: 'models', hostPath: { path: '/var/lib/inferscale/models', type: 'DirectoryOrCreate' } },
    );
    const init = pod.initContainers![0];
    assert.deepEqual(init.args!.slice(0, 11), [
      '/app/dist/models/pod-fetch.js',
      '--repo',
      model.url,
      '--revision',
      sha,
      '--out',
      `/models/${model.fileName}`,
      '--include',
      '*.json',
      '--include',
      '*.safetensors',
    ]);
    const engine = pod.containers[0];
    assert.deepEqual(engine.args!.slice(0, 2), ['serve', `/models/${model.fileName}`], 'vllm serve gets the repository directory');
    assert.ok(engine.env!.some((e) => e.name === 'HF_HUB_OFFLINE' && e.value === '1'));
    assert.ok(
      engine.volumeMounts!.some((m) => m.name === 'models' && m.readOnly),
      'read-only to the engine',
    );
  });

  it('pvc: a ReadWriteMany claim named in the zones file; pod (the default): an emptyDir', () => {
    const pvc = render({ type: 'pvc', claimName: 'model-cache' }).deployment.spec!.template.spec!;
    assert.deepEqual(
      pvc.volumes!.find((v) => v.name === 'models'),
      { name: 'models', persistentVolumeClaim: { claimName: 'model-cache' } },
    );
    const own = renderWorkload(testZone({ images }), spec({ driver: engineDriver('vllm'), modelName: 'llm', engineParams: '', model })).deployment.spec!
      .template.spec!;
    assert.deepEqual(
      own.volumes!.find((v) => v.name === 'models'),
      { name: 'models', emptyDir: {} },
    );
  });

  it('llamacpp loads the GGUF inside a repository (the first part of a split GGUF)', () => {
    const gguf = { ...model, repo: { ...model.repo, include: ['*.gguf'], entry: 'q4/m-00001-of-00002.gguf' } };
    const engine = renderWorkload(
      testZone({ modelCache: { type: 'node', path: '/cache' }, images } as never),
      spec({ driver: engineDriver('llamacpp'), modelName: 'llm', engineParams: '', model: gguf }),
    ).deployment.spec!.template.spec!.containers[0];
    assert.equal(engine.args![engine.args!.indexOf('--model-path') + 1], `/models/${model.fileName}/q4/m-00001-of-00002.gguf`);
  });

  it('a single file in a shared cache is kept under its sha256, so two models with one file name never collide', () => {
    const file = { url: 'https://models.example/tiny.gguf', fileName: 'tiny.gguf', sha256: 'ab'.repeat(32) };
    const init = render({ type: 'node', path: '/cache' }, file).deployment.spec!.template.spec!.initContainers![0];
    assert.equal(init.args![init.args!.indexOf('--out') + 1], `/models/sha256-${'ab'.repeat(32)}/tiny.gguf`);
  });
});
