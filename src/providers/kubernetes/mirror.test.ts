// The shared state through the real client library against the fake API over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from './client.js';
import { DeploymentMirror, readClusterDeployments, readSettings } from './mirror.js';
import { startFakeKube, type FakeKube } from './testkit.js';
import type { DeploymentRow } from '../../store/store.js';

const row = (over: Partial<DeploymentRow> = {}): DeploymentRow => ({
  id: 'id-chat', name: 'chat', modelName: 'm', engine: 'sim', engineParams: '', gpuType: 'h100', gpuCount: 1, replicas: 2, zone: 'fake-eks', status: 'ready', statusDetails: '',
  maxOngoingRequests: 8, maxQueuedRequests: 100, queueTimeoutMs: 1000, drainTimeoutMs: 1000, autoscale: null, labels: { team: 'a' }, apiKeyHash: Buffer.alloc(32, 7),
  apiKeySealed: 'sealed-key', createdAt: Date.UTC(2026, 0, 2), updatedAt: 0, generation: 3, everReady: true, deleting: false, ...over,
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
  await mirror.sync([row()], () => 2, () => 4_500);
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
  assert.deepEqual(await readSettings(client), { quotas: {}, models: [], prices: {} });
  const m = { name: 'tiny', source: 'https://x/t.gguf', kind: 'url' as const, location: 'https://x/t.gguf', fileName: 't.gguf', sha256: 'ab'.repeat(32) };
  await new DeploymentMirror(client, () => undefined).syncSettings({ quotas: { h100: 8 }, models: [m], prices: { h100: 2.5 } });
  assert.deepEqual(await readSettings(client), { quotas: { h100: 8 }, models: [m], prices: { h100: 2.5 } });
  await new DeploymentMirror(client, () => undefined).syncSettings({ quotas: { h100: 8 }, models: [m], prices: {} });
  assert.deepEqual((await readSettings(client)).prices, {});
});
