import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPrices, spotPriceTable, validSettings } from './settings.js';
import { startFakeKube } from '../providers/kubernetes/testkit.js';
import { KubeClient } from '../providers/kubernetes/client.js';
import { DeploymentMirror, readSettings, SETTINGS_CONFIGMAP } from './mirror.js';
import { inProcessService } from '../service/testkit.js';
import { CostService } from '../cost/service.js';
import { HistoryStore } from '../history/store.js';
import { CapacityStore } from '../service/capacity-store.js';

const sha = 'ab'.repeat(32);
const env = { INFERSCALE_HF_ENDPOINT: 'https://huggingface.co' };

// The settings ConfigMap as someone with edit rights on it could leave it, read back through the fake
// Kubernetes API: only entries the API itself would accept are taken over.
test("inferscale-settings is checked with the API's rules: bad quotas, prices and models are dropped, each said", async () => {
  const k = await startFakeKube();
  try {
    const models = [
      {
        name: 'good',
        source: 'hf:org/repo/m.gguf',
        kind: 'hf',
        location: 'https://huggingface.co/org/repo/resolve/main/m.gguf',
        fileName: 'm.gguf',
        sha256: sha,
      },
      { name: 'web', source: 'https://example.test/w.gguf', kind: 'url', location: 'https://example.test/w.gguf', fileName: 'w.gguf', sha256: sha },
      { name: '../../etc', source: 'x', kind: 'url', location: 'https://example.test/x', fileName: 'x', sha256: sha },
      { name: 'escape', source: 'x', kind: 'url', location: 'https://example.test/x', fileName: '../../secret.key', sha256: sha },
      { name: 'stolen-token', source: 'hf:a/b/c', kind: 'hf', location: 'https://attacker.test/a/b/resolve/main/c', fileName: 'c', sha256: sha },
      { name: 'local', source: '/etc/passwd', kind: 'file', location: '/etc/passwd', fileName: 'passwd', sha256: sha },
      { name: 'meta', source: 'x', kind: 'url', location: 'file:///etc/passwd', fileName: 'x', sha256: sha },
      { name: 'nosum', source: 'x', kind: 'url', location: 'https://example.test/x', fileName: 'x', sha256: 'zz' },
      'not an object',
    ];
    k.cluster.create('configmaps', k.namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: SETTINGS_CONFIGMAP },
      data: {
        'gpu-quotas.json': JSON.stringify({ h100: 8, 'BAD TYPE': 1, a100: -1, l4: 1.5 }),
        'gpu-prices.json': JSON.stringify({ h100: 2.5, a100: 'free', l4: -3 }),
        'models.json': JSON.stringify(models),
      },
    });
    const lines: string[] = [];
    const raw = await readSettings(new KubeClient(k.kc, k.namespace), (l) => lines.push(l));
    const s = validSettings(raw, (l) => lines.push(l), env);
    assert.deepEqual(s.quotas, { h100: 8 });
    assert.deepEqual(s.prices, { h100: 2.5 });
    assert.deepEqual(
      s.models.map((m) => m.name),
      ['good', 'web'],
    );
    for (const what of [
      'quota "BAD TYPE"',
      'quota "a100"',
      'quota "l4"',
      'price "a100"',
      'price "l4"',
      'model "../../etc"',
      'model "escape"',
      'model "stolen-token"',
      'model "local"',
      'model "meta"',
      'model "nosum"',
      'model null',
    ]) {
      assert.ok(
        lines.some((l) => l.includes(`${what} ignored`)),
        `${what} said: ${lines.join('\n')}`,
      );
    }
  } finally {
    await k.close();
  }
});

test('a settings key that is not JSON counts as empty, and says so', async () => {
  const k = await startFakeKube();
  try {
    k.cluster.create('configmaps', k.namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: SETTINGS_CONFIGMAP },
      data: { 'gpu-quotas.json': '{', 'models.json': 'null' },
    });
    const lines: string[] = [];
    const s = validSettings(await readSettings(new KubeClient(k.kc, k.namespace), (l) => lines.push(l)), (l) => lines.push(l), env);
    assert.deepEqual(s, { quotas: {}, prices: {}, spotPrices: {}, models: [] });
    assert.ok(lines.some((l) => /gpu-quotas\.json is not JSON/.test(l)));
  } finally {
    await k.close();
  }
});

/** A server's cost service over its own store (the leader's, or the one that takes over). */
function server() {
  const { clock, store } = inProcessService(1);
  const cost = new CostService({ store, history: new HistoryStore(store.db), clock, inventory: [] });
  const spot = new CapacityStore(store.db);
  /** the prices set, as `cost prices` lists them: type -> [on-demand, spot (absent: none)] */
  const prices = () => Object.fromEntries(cost.prices().map((p) => [p.gpuType, [p.usdPerGpuHour, p.spotUsdPerGpuHour]]));
  /** what the leader writes each mirror period (member.ts flush) */
  const written = () => ({ quotas: {}, models: [], prices: cost.ledger.prices(), spotPrices: spot.spotPrices() });
  /** what a new leader does with the ConfigMap (member.ts restore) */
  const takeOver = async (client: KubeClient, log: (l: string) => void) =>
    applyPrices(
      validSettings(await readSettings(client, log), log, env),
      { all: () => cost.ledger.prices(), set: (t, u) => cost.ledger.setPrice(t, u) },
      spotPriceTable(spot),
    );
  return { cost, prices, written, takeOver };
}

test('spot prices go through inferscale-settings: written by the leader, taken over by the next, a removed one removed, an old ConfigMap without them still read', async () => {
  const k = await startFakeKube();
  try {
    const client = new KubeClient(k.kc, k.namespace);
    const mirror = new DeploymentMirror(client, () => undefined);
    const leader = server();
    leader.cost.setPrice('h100', 3, 1.2);
    leader.cost.setPrice('a100', 2, 0.8);
    leader.cost.setPrice('l4', 0.8);
    await mirror.syncSettings(leader.written());
    const data = k.cluster.tryGet('configmaps', k.namespace, SETTINGS_CONFIGMAP)?.data as Record<string, string>;
    assert.deepEqual(JSON.parse(data['gpu-spot-prices.json']), { a100: 0.8, h100: 1.2 });

    // the follower that takes over held a spot price of its own from an earlier term: the cluster's record wins
    const next = server();
    next.cost.setPrice('l4', 0.8, 0.3);
    const lines: string[] = [];
    await next.takeOver(client, (l) => lines.push(l));
    assert.deepEqual(next.prices(), { a100: [2, 0.8], h100: [3, 1.2], l4: [0.8, undefined] });
    assert.equal(lines.join('\n'), '');

    // the leader removes a spot price (the on-demand one stays): the next takeover removes it too
    leader.cost.setPrice('a100', 2, null);
    await mirror.syncSettings(leader.written());
    await next.takeOver(client, (l) => lines.push(l));
    assert.deepEqual(next.prices(), { a100: [2, undefined], h100: [3, 1.2], l4: [0.8, undefined] });

    // edited by hand: a spot price above on-demand, or without an on-demand price, is dropped and said
    k.cluster.mutate('configmaps', k.namespace, SETTINGS_CONFIGMAP, (o) => {
      (o.data as Record<string, string>)['gpu-spot-prices.json'] = JSON.stringify({ h100: 1.2, l4: 0.9, t4: 0.1, a100: 'cheap' });
    });
    await next.takeOver(client, (l) => lines.push(l));
    assert.deepEqual(next.prices(), { a100: [2, undefined], h100: [3, 1.2], l4: [0.8, undefined] });
    for (const what of ['spot price "l4"', 'spot price "t4"', 'spot price "a100"'])
      assert.ok(
        lines.some((l) => l.includes(`${what} ignored`)),
        `${what} said: ${lines.join('\n')}`,
      );

    // a ConfigMap written before spot prices were carried (no such key) reads as no spot prices, the rest kept
    k.cluster.mutate('configmaps', k.namespace, SETTINGS_CONFIGMAP, (o) => {
      delete (o.data as Record<string, string>)['gpu-spot-prices.json'];
    });
    lines.length = 0;
    assert.deepEqual(await readSettings(client, (l) => lines.push(l)), { quotas: {}, models: [], prices: { a100: 2, h100: 3, l4: 0.8 }, spotPrices: {} });
    await next.takeOver(client, (l) => lines.push(l));
    assert.deepEqual(next.prices(), { a100: [2, undefined], h100: [3, undefined], l4: [0.8, undefined] });
    assert.equal(lines.join('\n'), '');
  } finally {
    await k.close();
  }
});
