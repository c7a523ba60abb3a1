import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../store/db.js';
import { failingWrites } from '../test/full-disk.js';
import { startTestServer, waitFor, FAST_SIM } from '../test/harness.js';
import { chat } from '../test/load.js';

// A full disk, injected: the real server over its real SQLite file, whose writes fail with SQLITE_FULL
// for a while (src/test/full-disk.ts). The gateway keeps serving, the periodic writers say so once and
// keep their rows, /healthz says "degraded", and everything is written once space returns.
test('disk full: requests keep being served, /healthz says degraded, one log line, and it recovers with the rows kept', async () => {
  let full = false;
  const lines: string[] = [];
  const t = await startTestServer({ openDb: (p, migrations) => failingWrites(openDb(p, migrations), () => full), log: (l) => lines.push(l) });
  try {
    const made = await t.api('POST', '/deployments', { name: 'full', modelName: 'm', replicas: 1, gpuCount: 1, engineParams: FAST_SIM });
    assert.equal(made.status, 201);
    await waitFor(async () => (await t.api('GET', '/deployments/full')).body.readyReplicas === 1, { timeoutMs: 30_000, what: 'ready' });
    const url = `${t.url}/d/full/v1`;
    const key: string = made.body.apiKey;
    const healthz = async () => {
      const r = await fetch(`${t.url}/healthz`);
      return { status: r.status, body: (await r.json()) as any };
    };
    full = true;
    const during: number[] = [];
    // long enough for the request log (1 s), the sampler (1 s) and the controller to try and fail
    await waitFor(
      async () => {
        during.push((await chat(url, key, { model: 'm', maxTokens: 2 })).status);
        const w = t.server.storage.view().writers?.map((x) => x.writer) ?? [];
        return w.includes('request log') && w.includes('history and cost');
      },
      { timeoutMs: 15_000, what: 'both periodic writers failing' },
    );
    // a loaded machine may see both writers fail after one request: serve a few more while still full
    while (during.length < 3) during.push((await chat(url, key, { model: 'm', maxTokens: 2 })).status);
    assert.ok(
      during.every((s) => s === 200),
      `served while full: ${during.join(',')}`,
    );
    const h = await healthz();
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.storage.full, true);
    assert.equal(lines.filter((l) => l.startsWith('storage full')).length, 1, 'said once, not every second');
    // an API write while full: refused with a stable code, nothing changed
    const refused = await t.api('POST', '/deployments', { name: 'more', modelName: 'm', replicas: 0 });
    assert.equal(refused.status, 507);
    assert.equal(refused.body.error.code, 'storage_full');
    full = false;
    await waitFor(async () => (await healthz()).body.status === 'ok', { timeoutMs: 10_000, what: 'recovered' });
    assert.ok(lines.some((l) => /^storage writable again after \d+ s/.test(l)));
    // the rows of the requests served while full reach the request log
    const logged = await waitFor(
      () => {
        const n = (t.server.store.db.prepare('SELECT COUNT(*) AS n FROM request_log').get() as { n: number }).n;
        return n >= during.length ? n : 0;
      },
      { timeoutMs: 5_000, what: 'the rows kept while full written' },
    );
    assert.ok(logged >= during.length);
    assert.equal((await chat(url, key, { model: 'm', maxTokens: 2 })).status, 200);
  } finally {
    full = false;
    await t.close();
  }
});
