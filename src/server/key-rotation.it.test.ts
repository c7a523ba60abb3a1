import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, waitFor, FAST_SIM, type TestServer } from '../test/harness.js';
import { chat, steadyLoad } from '../test/load.js';

// Key rotation under steady load, end to end: a real server, 2 engine-simulator replicas, real requests.
// Clients switch to the new key as soon as the rotate call returns; some keep the old one through the grace.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('key rotation under steady load: 0 requests refused during the grace; the new key works at once; the old one is refused after', async (ctx) => {
  const made = await t.api('POST', '/deployments', { name: 'rot', modelName: 'm', replicas: 2, gpuCount: 1, engineParams: FAST_SIM });
  assert.equal(made.status, 201);
  const oldKey: string = made.body.apiKey;
  await waitFor(async () => (await t.api('GET', '/deployments/rot')).body.readyReplicas === 2, { timeoutMs: 30_000, what: 'two ready replicas' });
  const url = `${t.url}/d/rot/v1`;
  let key = oldKey;
  let stop: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  // 4 clients take the current key for each request; 2 keep the old key until 1 s before the grace ends
  const switching = steadyLoad(4, () => chat(url, key, { model: 'm', maxTokens: 2 }), stopped);
  let oldUntil = Infinity;
  let oldStop: () => void;
  const oldStopped = new Promise<void>((r) => (oldStop = r));
  const stubborn = steadyLoad(2, () => chat(url, oldKey, { model: 'm', maxTokens: 2 }), oldStopped);
  const r = await t.api('POST', '/deployments/rot/rotate-api-key', { graceSeconds: 4 });
  assert.equal(r.status, 200);
  key = r.body.apiKey;
  oldUntil = Date.parse(r.body.previousKeyValidUntil);
  // the very next request with the new key, right after the call returned
  assert.equal((await chat(url, key, { model: 'm', maxTokens: 1 })).status, 200, 'the new key works as soon as the rotation returns');
  await waitFor(() => Date.now() >= oldUntil - 1000, { timeoutMs: 10_000, what: 'the last second of the grace' });
  oldStop!();
  const oldResults = await stubborn;
  await waitFor(async () => (await chat(url, oldKey, { model: 'm', maxTokens: 1 })).status === 401, {
    timeoutMs: 5_000,
    what: 'the old key refused after the grace',
  });
  stop!();
  const results = await switching;
  const all = [...results, ...oldResults];
  const refused = all.filter((x) => x.status === 401).length;
  const failed = all.filter((x) => !x.ok);
  assert.ok(oldResults.length > 5 && results.length > 20, `steady load: ${results.length} + ${oldResults.length} requests`);
  assert.equal(refused, 0, `refused during the grace: ${refused} of ${all.length}`);
  assert.deepEqual(
    failed.map((x) => x.status),
    [],
    'every request answered 200',
  );
  ctx.diagnostic(`${all.length} requests (${oldResults.length} with the old key during the grace), ${refused} refused`);
});
