// deploy/: every manifest passes the Kubernetes schemas; the CRD file matches the code; the zones files parse;
// and the RBAC rules allow every API call the provider, leader election and the mirror make (replayed from
// the fake API's request log).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dumpYaml, loadAllYaml } from '@kubernetes/client-node';
import { systemClock } from '../core/clock.js';
import { engineDriver } from '../engines/registry.js';
import { validateObject } from '../providers/kubernetes/validate.js';
import { inferenceDeploymentCrd } from '../providers/kubernetes/crd.js';
import { KubernetesProvider } from '../providers/kubernetes/provider.js';
import { KubeClient } from '../providers/kubernetes/client.js';
import { LeaderElector } from '../cluster/lease.js';
import { ClusterDeployments, DeploymentMirror, readClusterDeployments, readSettings } from '../cluster/mirror.js';
import { listNodes } from '../providers/kubernetes/capacity.js';
import { ensureServerSecrets } from '../cluster/server-secret.js';
import { deniedRequests, H100_NODE_LABELS, startFakeKube, testZone, until } from '../providers/kubernetes/testkit.js';
import { parseZonesFile } from './load.js';
import { commonLabels } from '../providers/kubernetes/render.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const read = (p: string) => readFileSync(DEPLOY + p, 'utf8');
const objects = (p: string): any[] => JSON.parse(JSON.stringify(loadAllYaml(read(p)))).filter(Boolean);

describe('deploy/ manifests', () => {
  const files = readdirSync(`${DEPLOY}base`).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

  it('every object passes the Kubernetes schemas and API rules', () => {
    for (const f of files) for (const o of objects(`base/${f}`)) assert.deepEqual(validateObject(o), [], `${f}: ${o.kind}/${o.metadata?.name}`);
  });

  it('kustomization lists every manifest; crd.yaml is generated from the code', () => {
    const k = read('base/kustomization.yaml');
    for (const f of files) assert.ok(k.includes(`- ${f}`), `${f} in kustomization.yaml`);
    assert.equal(read('base/crd.yaml').replace(/^#.*\n/, ''), dumpYaml(inferenceDeploymentCrd()));
  });

  it('the zones ConfigMap and the example zones files parse', () => {
    const cm = objects('base/zones.yaml')[0];
    assert.deepEqual(
      parseZonesFile(cm.data['zones.yaml']).zones.map((z) => z.name),
      ['cluster'],
    );
    for (const f of readdirSync(`${DEPLOY}examples`)) assert.ok(parseZonesFile(read(`examples/${f}`)).zones.length > 0, f);
  });

  it('the server runs several replicas in HA mode, on a zone the zones ConfigMap declares', () => {
    const server = objects('base/server.yaml').find((o) => o.kind === 'Deployment');
    assert.ok(server.spec.replicas >= 2);
    const args: string[] = server.spec.template.spec.containers[0].args;
    const zone = args[args.indexOf('--ha') + 1];
    assert.ok(args.includes('--ha'), args.join(' '));
    const cm = objects('base/zones.yaml')[0];
    assert.ok(
      parseZonesFile(cm.data['zones.yaml']).zones.some((z) => z.name === zone && z.type === 'kubernetes'),
      `--ha ${zone} names a Kubernetes zone`,
    );
    const env = server.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    for (const v of ['POD_NAME', 'POD_IP']) assert.ok(env.includes(v), v);
  });

  it("the engines' NetworkPolicy selects the engine pods inferscale renders and admits only the server pods", () => {
    const np = objects('base/engine-network-policy.yaml')[0];
    const server = objects('base/server.yaml').find((o) => o.kind === 'Deployment');
    const selects = (sel: any, labels: Record<string, string>) =>
      Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
      (sel.matchExpressions ?? []).every((e: any) => (e.operator === 'Exists' ? e.key in labels : e.values.includes(labels[e.key])));
    const engine = commonLabels({ name: 'chat', labels: { team: 'a' }, gpuType: 'h100' });
    assert.ok(selects(np.spec.podSelector, engine), 'engine pods are fenced');
    assert.ok(!selects(np.spec.podSelector, server.spec.template.metadata.labels), 'the server pods are not');
    assert.deepEqual(np.spec.policyTypes, ['Ingress']);
    // the client's YAML loader names the field `from` as its model does: `_from`
    const from = np.spec.ingress.flatMap((i: any) => i.from ?? i._from);
    assert.equal(from.length, 1);
    assert.ok(selects(from[0].podSelector, server.spec.template.metadata.labels), 'the server pods may connect');
    assert.ok(!selects(from[0].podSelector, engine), 'engine pods may not reach each other');
  });

  it('the RBAC rules allow every call the server makes (replayed from the fake API)', async () => {
    const rules = objects('base/rbac.yaml')
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((o) => o.rules);
    const k = await startFakeKube();
    k.controllers.addNode('gpu-a', H100_NODE_LABELS, 8);
    try {
      const p = new KubernetesProvider({ zone: testZone(), kubeConfig: k.kc, clock: systemClock, log: () => undefined, scaleDownTimeoutMs: 5000 });
      await p.init();
      const t = { zone: 'fake-eks', gpuType: 'h100', drainTimeoutMs: 1000, labels: {} };
      const hs = [
        await p.start('r-1', 'rbac', engineDriver('sim'), { modelName: 'm', engineParams: '', gpus: [], gpuCount: 1 }, t),
        await p.start('r-2', 'rbac', engineDriver('sim'), { modelName: 'm', engineParams: '', gpus: [], gpuCount: 1 }, t),
      ];
      for (const h of hs) await until(async () => (await p.probe(h)) === 'ready', 'ready');
      await p.logs('rbac', 'r-1', 5);
      await p.stop(hs[1]);
      await p.removeDeployment('rbac');
      await p.close();
      const client = new KubeClient(k.kc, k.namespace);
      const le = new LeaderElector({ client, name: 'inferscale', identity: 'a', clock: systemClock, log: () => undefined });
      await le.step();
      await le.stop();
      const row = {
        id: 'x',
        name: 'mirrored',
        modelName: 'm',
        engine: 'sim',
        engineParams: '',
        gpuType: 'h100',
        gpuCount: 1,
        replicas: 1,
        zone: 'fake-eks',
        status: 'ready',
        statusDetails: '',
        maxOngoingRequests: 1,
        maxQueuedRequests: 1,
        queueTimeoutMs: 1000,
        drainTimeoutMs: 1000,
        autoscale: null,
        labels: {},
        apiKeyHash: Buffer.alloc(32),
        apiKeySealed: '',
        createdAt: 0,
        updatedAt: 0,
        generation: 1,
        everReady: true,
        deleting: false,
      } as const;
      const mirror = new DeploymentMirror(client, () => undefined);
      await mirror.sync([row], () => 1);
      await mirror.syncSettings({ quotas: { h100: 4 }, models: [], prices: {} });
      await mirror.syncSettings({
        quotas: { h100: 8 },
        models: [{ name: 'm', source: 'https://x/m.gguf', kind: 'url', location: 'https://x/m.gguf', fileName: 'm.gguf', sha256: 'ab'.repeat(32) }],
        prices: { h100: 2 },
      });
      await readSettings(client);
      await readClusterDeployments(client, () => ({ hash: Buffer.alloc(32), sealed: 'x' }));
      const shared = new ClusterDeployments(client, systemClock, () => undefined);
      await shared.start();
      await shared.stop();
      await mirror.sync([], () => 0);
      await ensureServerSecrets(client);
      await ensureServerSecrets(client);
      await listNodes(client);
      const denied = deniedRequests(k.server.requests, rules);
      assert.deepEqual(denied, []);
      assert.ok(k.server.requests.length > 20);
    } finally {
      await k.close();
    }
  });
});
