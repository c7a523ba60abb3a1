import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validSettings } from './settings.js';
import { startFakeKube } from '../providers/kubernetes/testkit.js';
import { KubeClient } from '../providers/kubernetes/client.js';
import { readSettings, SETTINGS_CONFIGMAP } from './mirror.js';

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
    assert.deepEqual(s, { quotas: {}, prices: {}, models: [] });
    assert.ok(lines.some((l) => /gpu-quotas\.json is not JSON/.test(l)));
  } finally {
    await k.close();
  }
});
