import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestServer, waitFor, FAST_SIM, type TestServer } from '../test/harness.js';
import { chat } from '../test/load.js';

// A replica's port is reachable by anything on the machine: its engine takes inference requests only with
// the replica's engine key, which only the gateway holds. A real server and a real engine-simulator replica.
let t: TestServer;
before(async () => {
  // a credential in the server's environment, which no replica may inherit
  process.env.AWS_SECRET_ACCESS_KEY = 'not-for-replicas';
  t = await startTestServer();
});
after(async () => {
  delete process.env.AWS_SECRET_ACCESS_KEY;
  await t.close();
});

test("a direct request to a replica's port without its engine key gets 401; through the gateway it works; the replica inherits no credentials", async () => {
  const made = await t.api('POST', '/deployments', { name: 'fenced', modelName: 'm', replicas: 1, gpuCount: 1, engineParams: FAST_SIM });
  const key: string = made.body.apiKey;
  const replica = await waitFor(() => t.server.store.listLiveReplicas().find((r) => r.state === 'ready'), { timeoutMs: 30_000, what: 'a ready replica' });
  const direct = `http://127.0.0.1:${replica!.port}/v1`;
  const none = await chat(direct, '', { model: 'm' });
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).error.code, 'invalid_api_key');
  assert.equal((await chat(direct, key, { model: 'm' })).status, 401, "the deployment's API key is not the engine key");
  assert.equal((await fetch(`${direct}/models`)).status, 401);
  assert.equal((await fetch(`http://127.0.0.1:${replica!.port}/health`)).status, 200, 'health stays open for probes');
  assert.equal((await chat(`${t.url}/d/fenced/v1`, key, { model: 'm' })).status, 200);
  // the key travels in the environment, not on the command line (which `ps` shows to every user)
  if (process.platform === 'linux') {
    assert.doesNotMatch(readFileSync(`/proc/${replica!.pid}/cmdline`, 'latin1'), /ise-/);
    // and the replica inherits an allow-list of the server's environment, not its credentials
    const environ = readFileSync(`/proc/${replica!.pid}/environ`, 'latin1').split('\0');
    assert.ok(environ.some((e) => e.startsWith('INFERSCALE_ENGINE_KEY=ise-')));
    assert.ok(!environ.some((e) => e.startsWith('AWS_SECRET_ACCESS_KEY=')), 'no cloud credential');
    assert.ok(environ.some((e) => e.startsWith('PATH=')));
  }
  // a restarted server adopts the replica and sends the same key
  await t.restart();
  await waitFor(async () => (await chat(`${t.url}/d/fenced/v1`, key, { model: 'm' })).status === 200, { timeoutMs: 15_000, what: 'served after restart' });
});
