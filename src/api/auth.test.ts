import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, apiUnderTest } from './testkit.js';
import { storeContents } from '../store/testkit.js';

test('no token, a wrong token, or the token in another scheme: 401 unauthorized on every route, and nothing changes', async () => {
  const { call, app, store } = apiUnderTest();
  await call('POST', '/deployments', { name: 'chat', modelName: 'm', replicas: 0 });
  const before = storeContents(store);
  const routes: [string, string, unknown?][] = [
    ['GET', '/deployments'],
    ['POST', '/deployments', { name: 'x', modelName: 'm' }],
    ['GET', '/deployments/chat'],
    ['POST', '/deployments/chat/scale', { replicas: 1 }],
    ['PATCH', '/deployments/chat', { maxOngoingRequests: 2 }],
    ['DELETE', '/deployments/chat'],
    ['POST', '/deployments/chat/reveal-api-key'],
    ['PUT', '/limits/gpu/a5000', { max: 1 }],
    ['GET', '/no-such-route'],
  ];
  for (const token of [null, '', 'ist-wrong', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1)]) {
    for (const [method, path, body] of routes) {
      const r = await call(method, path, body, token);
      assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(token)}`);
      assert.equal(r.body.error.code, 'unauthorized');
      assert.match(r.body.error.message, /admin token missing or wrong/);
      assert.equal(r.body.apiKey, undefined);
    }
  }
  const basic = await app.request('/api/v1/deployments', { headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
  assert.equal(basic.status, 401, 'only the Bearer scheme');
  assert.deepEqual(storeContents(store), before, 'no refused call wrote anything');
  assert.equal(
    (await app.request('/api/v1/deployments', { headers: { authorization: `Bearer   ${ADMIN_TOKEN}  ` } })).status,
    200,
    'spaces around the token are ignored',
  );
});

test('/health answers without a token', async () => {
  const { call } = apiUnderTest();
  const r = await call('GET', '/health', undefined, null);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'ok' });
});
