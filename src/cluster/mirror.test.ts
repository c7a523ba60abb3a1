// The shared state through the real client library against the fake API over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from '../providers/kubernetes/client.js';
import { DeploymentMirror, readClusterDeployments, readSettings } from './mirror.js';
import { startFakeKube, type FakeKube } from '../providers/kubernetes/testkit.js';
import type { DeploymentRow } from '../store/store.js';

const row = (over: Partial<DeploymentRow> = {}): DeploymentRow => ({
  id: 'id-chat',
  name: 'chat',
  modelName: 'm',
  engine: 'sim',
  engineParams: '',
  gpuType: 'h100',
  gpuCount: 1,
  replicas: 2,
  zone: 'fake-eks',
  status: 'ready',
  statusDetails: '',
  maxOngoingRequests: 8,
  maxQueuedRequests: 100,
  queueTimeoutMs: 1000,
  drainTimeoutMs: 1000,
  autoscale: null,
  labels: { team: 'a' },
  apiKeyHash: Buffer.alloc(32, 7),
  apiKeySealed: 'sealed-key',
  createdAt: Date.UTC(2026, 0, 2),
  updatedAt: 0,
  generation: 3,
  everReady: true,
  deleting: false,
  ...over,
});

let k: FakeKube;
let client: KubeClient;
before(async () => {
  k = await startFakeKube();
  client = new KubeClient(k.kc, k.namespace);
});
after(async () => {
  await k.close();
});

test('a deployment round-trips through its resource and key Secret (sealed key, creation time, spec)', async () => {
  const mirror = new DeploymentMirror(client, () => undefined);
  await mirror.sync(
    [row()],
    () => 2,
    () => 4_500,
  );
  const { rows, rekeyed } = await readClusterDeployments(client, () => assert.fail('no new key needed'));
  assert.deepEqual(rekeyed, []);
  const [back] = rows;
  assert.equal(back.id, 'id-chat');
  assert.equal(back.apiKeySealed, 'sealed-key');
  assert.ok(back.apiKeyHash.equals(Buffer.alloc(32, 7)));
  assert.equal(back.createdAt, Date.UTC(2026, 0, 2));
  assert.deepEqual([back.replicas, back.generation, back.labels], [2, 3, { team: 'a' }]);
  assert.equal((k.cluster.get('inferencedeployments', k.namespace, 'chat') as unknown as { status: { coldStartMs: number } }).status.coldStartMs, 4_500);
});

test("a rotated key's predecessor and its end travel in the key Secret, so every server replica honours the grace", async () => {
  const mirror = new DeploymentMirror(client, () => undefined);
  const until = Date.UTC(2026, 0, 3);
  await mirror.sync([row({ apiKeyHash: Buffer.alloc(32, 8), previousKeyHash: Buffer.alloc(32, 7), previousKeyUntil: until })], () => 2);
  let [back] = (await readClusterDeployments(client, () => assert.fail('no new key needed'))).rows;
  assert.ok(back.apiKeyHash.equals(Buffer.alloc(32, 8)));
  assert.ok(back.previousKeyHash!.equals(Buffer.alloc(32, 7)));
  assert.equal(back.previousKeyUntil, until);
  // a rotation without grace takes the old key out of the Secret
  await mirror.sync([row({ apiKeyHash: Buffer.alloc(32, 9), previousKeyHash: null, previousKeyUntil: null })], () => 2);
  [back] = (await readClusterDeployments(client, () => assert.fail('no new key needed'))).rows;
  assert.equal(back.previousKeyHash, null);
  assert.equal(back.previousKeyUntil, null);
  await mirror.sync([row()], () => 2);
});

test('a resource whose key Secret was deleted by hand is kept, with a new key, not dropped', async () => {
  k.cluster.delete('secrets', k.namespace, 'inferscale-key-chat');
  const { rows, rekeyed } = await readClusterDeployments(client, () => ({ hash: Buffer.alloc(32, 9), sealed: 'new-sealed' }));
  assert.deepEqual(rekeyed, ['chat']);
  assert.equal(rows[0].apiKeySealed, 'new-sealed');
  // the next sync of that row writes the Secret again
  await new DeploymentMirror(client, () => undefined).sync(rows, () => 0);
  assert.ok(k.cluster.tryGet('secrets', k.namespace, 'inferscale-key-chat'));
});

test('settings: quotas, the model catalog and GPU prices, empty before anything was written', async () => {
  assert.deepEqual(await readSettings(client), { quotas: {}, models: [], prices: {}, spotPrices: {} });
  const m = { name: 'tiny', source: 'https://x/t.gguf', kind: 'url' as const, location: 'https://x/t.gguf', fileName: 't.gguf', sha256: 'ab'.repeat(32) };
  await new DeploymentMirror(client, () => undefined).syncSettings({ quotas: { h100: 8 }, models: [m], prices: { h100: 2.5 } });
  assert.deepEqual(await readSettings(client), { quotas: { h100: 8 }, models: [m], prices: { h100: 2.5 }, spotPrices: {} });
  await new DeploymentMirror(client, () => undefined).syncSettings({ quotas: { h100: 8 }, models: [m], prices: {} });
  assert.deepEqual((await readSettings(client)).prices, {});
});

/** Keys sorted at every level, as the API server returns a custom resource (a Go map). */
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, x]) => [k, sortKeys(x)]),
        )
      : v;
const writes = (from: number) => k.server.requests.slice(from).filter((r) => r.method !== 'GET');

test('a resource read back with its keys sorted (as the API server returns it) is not written again; the key Secret is checked once a minute, or at once when a watch misses it', async () => {
  let now = 1_000_000;
  let seen = true;
  const mirror = new DeploymentMirror(client, () => undefined, { now: () => now, secretSeen: () => seen });
  await mirror.sync([row()], () => 2);
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => {
    const sorted = sortKeys(r) as typeof r;
    for (const key of Object.keys(r)) delete (r as Record<string, unknown>)[key];
    Object.assign(r, sorted);
  });
  const from = k.server.requests.length;
  await mirror.sync([row()], () => 2);
  assert.deepEqual(writes(from), [], 'nothing written: same spec, status and Secret');
  now += 60_000;
  await mirror.sync([row()], () => 2);
  assert.deepEqual(
    writes(from).map((r) => `${r.method} ${r.path}`),
    [`POST /api/v1/namespaces/${k.namespace}/secrets`],
    'a minute later: the Secret is checked (create, conflict)',
  );
  k.cluster.delete('secrets', k.namespace, 'inferscale-key-chat');
  seen = false;
  await mirror.sync([row()], () => 2);
  assert.ok(k.cluster.tryGet('secrets', k.namespace, 'inferscale-key-chat'), 'written again as soon as the watch misses it');
});

test('a spec edited in the cluster goes to onEdit with the changed fields only; what it returns is written', async () => {
  const mirror = new DeploymentMirror(client, () => undefined);
  const edits: Record<string, unknown>[] = [];
  const onEdit = (d: DeploymentRow, edit: Record<string, unknown>) => (edits.push(edit), { row: d, refused: true, message: 'set back' });
  await mirror.sync([row()], () => 2, undefined, { onEdit });
  assert.deepEqual(edits, [], 'a first write is not an edit');
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => {
    r.spec.replicas = 5;
    r.spec.labels = { team: 'b' };
    delete r.spec.engineParams;
  });
  await mirror.sync([row()], () => 2, undefined, { onEdit });
  assert.deepEqual(edits, [{ replicas: 5, labels: { team: 'b' }, engineParams: null }]);
  // onEdit returned the row unchanged: the edit is set back
  assert.equal(k.cluster.get('inferencedeployments', k.namespace, 'chat').spec.replicas, 2);
  // accepted: onEdit returns the row with the edit, and nothing is set back
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => void (r.spec.replicas = 3));
  await mirror.sync([row()], () => 2, undefined, {
    onEdit: (d, edit) => ({ row: { ...d, replicas: edit.replicas as number }, refused: false, message: 'applied' }),
  });
  assert.equal(k.cluster.get('inferencedeployments', k.namespace, 'chat').spec.replicas, 3);
  await mirror.sync([row({ replicas: 3 })], () => 2, undefined, { onEdit });
  assert.equal(edits.length, 1, 'its own write is not taken for an edit');
  // an edit made while no leader writes: gateways and the next leader go by the spec last written, and
  // the next leader's first write hands the edit to its checks
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => void (r.spec.gpuCount = 4));
  const { rows } = await readClusterDeployments(client, () => assert.fail('no new key needed'));
  assert.equal(rows[0].gpuCount, 1);
  const next: Record<string, unknown>[] = [];
  await new DeploymentMirror(client, () => undefined).sync(rows, () => 2, undefined, {
    onEdit: (d, e) => (next.push(e), { row: d, refused: true, message: 'gpuCount: fixed' }),
  });
  assert.deepEqual(next, [{ gpuCount: 4 }]);
  assert.equal(k.cluster.get('inferencedeployments', k.namespace, 'chat').spec.gpuCount, 1, 'refused: set back');
});

test('a resource someone applies becomes a deployment (or its status says why not); a deleted one stays, held by the finalizer, until its deployment is gone', async () => {
  const mirror = new DeploymentMirror(client, () => undefined);
  const idep = (name: string) =>
    k.cluster.tryGet('inferencedeployments', k.namespace, name) as unknown as
      | {
          metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; deletionTimestamp?: string };
          spec: Record<string, unknown>;
          status?: Record<string, unknown>;
        }
      | undefined;
  const apply = (name: string, spec: Record<string, unknown>) =>
    k.cluster.create('inferencedeployments', k.namespace, {
      apiVersion: 'inferscale.dev/v1alpha1',
      kind: 'InferenceDeployment',
      metadata: { name, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec,
    });
  const made = row({ id: 'id-gitops', name: 'gitops', replicas: 1 });
  apply('gitops', { modelName: 'm', gpuType: 'h100' });
  apply('broken', { modelName: 'm', gpuType: 'nope' });
  const applied: string[] = [];
  const hooks = {
    onApply: (r: { metadata: { name: string } }) => (
      applied.push(r.metadata.name), r.metadata.name === 'gitops' ? made : new Error('gpuType: zone "fake-eks" has no GPU type "nope"')
    ),
  };
  await mirror.sync([row()], () => 1, undefined, hooks);
  assert.deepEqual(applied.sort(), ['broken', 'gitops']);
  const g = idep('gitops')!;
  assert.equal(g.metadata.annotations!['inferscale.dev/id'], 'id-gitops');
  assert.equal(g.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'], '{}', "kubectl's annotation is kept");
  assert.equal(g.metadata.labels!['app.kubernetes.io/managed-by'], 'inferscale');
  assert.deepEqual(g.metadata.finalizers, ['inferscale.dev/deployment']);
  assert.equal(g.spec.replicas, 1);
  assert.ok(k.cluster.tryGet('secrets', k.namespace, 'inferscale-key-gitops'));
  const broken = idep('broken')!.status as { status: string; statusDetails: string; conditions: { type: string; status: string; reason: string }[] };
  assert.deepEqual([broken.status, broken.statusDetails], ['failed', 'not created: gpuType: zone "fake-eks" has no GPU type "nope"']);
  assert.deepEqual(
    broken.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`),
    ['Ready=False CreateRefused', 'Progressing=False CreateRefused', 'Degraded=True CreateRefused', 'SpecApplied=False CreateRefused'],
    'kubectl wait and GitOps health checks see it',
  );
  // the next sync: gitops is a deployment now; broken is tried again (a quota may have changed) but its status is not rewritten
  const from = k.server.requests.length;
  applied.length = 0;
  await mirror.sync([row(), made], () => 1, undefined, hooks);
  assert.deepEqual(applied, ['broken']);
  assert.deepEqual(writes(from), []);

  // kubectl delete: the resource stays (finalizer) while the deployment drains, and goes with it
  k.cluster.delete('inferencedeployments', k.namespace, 'gitops');
  assert.ok(idep('gitops')?.metadata.deletionTimestamp);
  const deleted: string[] = [];
  await mirror.sync([row(), made], () => 1, undefined, { onDelete: (d) => void deleted.push(d.name) });
  assert.deepEqual(deleted, ['gitops']);
  await mirror.sync([row(), { ...made, deleting: true }], () => 1);
  assert.ok(idep('gitops'), 'still there while its replicas drain');
  await mirror.sync([row()], () => 1);
  assert.equal(idep('gitops'), undefined);
  assert.equal(k.cluster.tryGet('secrets', k.namespace, 'inferscale-key-gitops'), undefined);
  k.cluster.delete('inferencedeployments', k.namespace, 'broken');
});
