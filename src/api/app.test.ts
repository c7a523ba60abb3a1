import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN as TOKEN, apiUnderTest } from './testkit.js';

test('HA: a change the cluster did not take is answered 503 cluster_write_failed, not success', async () => {
  let failing = true;
  const { call } = apiUnderTest({
    afterWrite: async () => {
      if (failing) throw new Error('etcdserver: request timed out');
    },
  });
  const r = await call<{ error: { code: string; message: string } }>('POST', '/deployments', { name: 'chat', modelName: 'm', replicas: 0 });
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '5');
  assert.equal(r.body.error.code, 'cluster_write_failed');
  assert.match(r.body.error.message, /etcdserver: request timed out/);
  // reads are not written to the cluster; once it takes writes again, the API answers as usual
  assert.equal((await call('GET', '/deployments/chat')).status, 200);
  failing = false;
  const rot = await call<{ apiKey: string; previousKeyValidUntil: string }>('POST', '/deployments/chat/rotate-api-key', { graceSeconds: 60 });
  assert.equal(rot.status, 200);
  const v = rot.body;
  assert.match(v.apiKey, /^isk-/);
  assert.ok(Date.parse(v.previousKeyValidUntil) > 0);
});

test('the internal API opens with the internal credential only; the admin token does not open it, nor the internal one the rest', async () => {
  const { call } = apiUnderTest({ internalToken: 'isi-internal' });
  const as = (token: string, method: string, path: string, body?: unknown) => call(method, path, body, token);
  assert.equal((await as(TOKEN, 'POST', '/internal/gateway-signals', {})).status, 401);
  assert.equal((await as('isi-internal', 'GET', '/deployments')).status, 401);
  // past the credential: the route (not mounted here) answers 404, not 401
  assert.equal((await as('isi-internal', 'POST', '/internal/gateway-signals', {})).status, 404);
  assert.equal((await as(TOKEN, 'GET', '/deployments')).status, 200);
});
