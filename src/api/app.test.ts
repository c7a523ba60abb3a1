import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApi } from './app.js';
import { inProcessService } from '../service/testkit.js';
import { virtualGpus } from '../placement/inventory.js';

const TOKEN = 'ist-test';
const call = (app: ReturnType<typeof createApi>, method: string, path: string, body?: unknown) =>
  app.request(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

test('HA: a change the cluster did not take is answered 503 cluster_write_failed, not success', async () => {
  const { store, deployments } = inProcessService();
  let failing = true;
  const app = createApi({ deployments, store, adminToken: TOKEN, inventory: virtualGpus(8, 'a5000'), afterWrite: async () => {
    if (failing) throw new Error('etcdserver: request timed out');
  } });
  const r = await call(app, 'POST', '/deployments', { name: 'chat', modelName: 'm', replicas: 0 });
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '5');
  const body = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'cluster_write_failed');
  assert.match(body.error.message, /etcdserver: request timed out/);
  // reads are not written to the cluster; once it takes writes again, the API answers as usual
  assert.equal((await call(app, 'GET', '/deployments/chat')).status, 200);
  failing = false;
  const rot = await call(app, 'POST', '/deployments/chat/rotate-api-key', { graceSeconds: 60 });
  assert.equal(rot.status, 200);
  const v = (await rot.json()) as { apiKey: string; previousKeyValidUntil: string };
  assert.match(v.apiKey, /^isk-/);
  assert.ok(Date.parse(v.previousKeyValidUntil) > 0);
});

test('the internal API opens with the internal credential only; the admin token does not open it, nor the internal one the rest', async () => {
  const { store, deployments } = inProcessService();
  const app = createApi({ deployments, store, adminToken: TOKEN, internalToken: 'isi-internal', inventory: virtualGpus(8, 'a5000') });
  const as = (token: string, method: string, path: string, body?: unknown) =>
    app.request(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal((await as(TOKEN, 'POST', '/internal/gateway-signals', {})).status, 401);
  assert.equal((await as('isi-internal', 'GET', '/deployments')).status, 401);
  // past the credential: the route (not mounted here) answers 404, not 401
  assert.equal((await as('isi-internal', 'POST', '/internal/gateway-signals', {})).status, 404);
  assert.equal((await as(TOKEN, 'GET', '/deployments')).status, 200);
});
