import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiUnderTest, type ApiAnswer } from './testkit.js';
import { storeContents } from '../store/testkit.js';

/** A refusal: `status` and `code`, the field named in `field` and the message, the limit in the message. */
function assertRefused(r: ApiAnswer, o: { status: number; code: string; field: string | null; says: RegExp }, what: string): void {
  assert.equal(r.status, o.status, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.code, o.code, what);
  assert.equal(r.body.error.field, o.field, what);
  // invalid input says the field first ("replicas: must be ..."); refusals of a valid request (quota, conflicts) say why in a sentence
  if (o.field && r.status === 400) assert.ok(r.body.error.message.startsWith(`${o.field}: `), `${what}: the message names the field: ${r.body.error.message}`);
  assert.match(r.body.error.message, o.says, what);
}

test('invalid input is refused with the field, its limit and a stable code, and changes nothing', async () => {
  const { call, store } = apiUnderTest({ gpus: 8 });
  assert.equal((await call('POST', '/deployments', { name: 'chat', modelName: 'm', replicas: 1 })).status, 201);
  assert.equal((await call('POST', '/deployments', { name: 'auto', modelName: 'm', replicas: 1 })).status, 201);
  assert.equal((await call('PUT', '/deployments/auto/autoscale', { minReplicas: 1, maxReplicas: 4 })).status, 200);
  const before = storeContents(store);
  const bad = { status: 400, code: 'invalid_argument' };
  const cases: [string, string, unknown, { status: number; code: string; field: string | null; says: RegExp }][] = [
    ['POST', '/deployments', { name: 'Chat_1', modelName: 'm' }, { ...bad, field: 'name', says: /DNS label: 1-63 lowercase/ }],
    ['POST', '/deployments', { name: 'x', modelName: '' }, { ...bad, field: 'modelName', says: /is required/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm'.repeat(257) }, { ...bad, field: 'modelName', says: /at most 256/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', replicas: 1001 }, { ...bad, field: 'replicas', says: /between 0 and 1000/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', replicas: -1 }, { ...bad, field: 'replicas', says: /between 0 and 1000/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', replicas: 1.5 }, { ...bad, field: 'replicas', says: /integer/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', gpuCount: 9 }, { ...bad, field: 'gpuCount', says: /between 1 and 8/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', gpuCount: 0 }, { ...bad, field: 'gpuCount', says: /between 1 and 8/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', engine: 'tgi' }, { ...bad, field: 'engine', says: /must be one of sim, llamacpp/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', maxOngoingRequests: 0 }, { ...bad, field: 'maxOngoingRequests', says: /between 1 and 10000/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', queueTimeoutMs: 99 }, { ...bad, field: 'queueTimeoutMs', says: /between 100 and 3600000/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', labels: { 'Bad Key': 'v' } }, { ...bad, field: 'labels.Bad Key', says: /^labels\.Bad Key: / }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', colour: 'red' }, { ...bad, field: 'colour', says: /unknown field "colour"/ }],
    ['POST', '/deployments', { name: 'x', modelName: 'm', zone: 'mars' }, { ...bad, field: 'zone', says: /unknown zone "mars" \(available: local\)/ }],
    ['POST', '/deployments', '{"name": "x",', { ...bad, field: 'body', says: /not valid JSON/ }],
    ['POST', '/deployments', { name: 'chat', modelName: 'm' }, { status: 409, code: 'already_exists', field: 'name', says: /"chat" already exists/ }],
    [
      'POST',
      '/deployments',
      { name: 'x', modelName: 'm', gpuType: 'h100' },
      { status: 409, code: 'insufficient_capacity', field: 'gpuType', says: /no h100 GPU on this server \(has: a5000\)/ },
    ],
    ['POST', '/deployments', { name: 'x', modelName: 'm', gpuCount: 4, replicas: 2 }, { status: 409, code: 'quota_exceeded', field: 'replicas', says: /8/ }],
    ['POST', '/deployments/chat/scale', { replicas: 1001 }, { ...bad, field: 'replicas', says: /between 0 and 1000/ }],
    ['POST', '/deployments/chat/scale', { replicas: '2' }, { ...bad, field: 'replicas', says: /expected number/ }],
    ['POST', '/deployments/chat/scale', {}, { ...bad, field: 'replicas', says: /expected number/ }],
    ['POST', '/deployments/chat/scale', { replicas: 9 }, { status: 409, code: 'quota_exceeded', field: 'replicas', says: /8/ }],
    ['POST', '/deployments/auto/scale', { replicas: 2 }, { status: 409, code: 'autoscaling_enabled', field: null, says: /autoscaled \(min 1, max 4\)/ }],
    ['PATCH', '/deployments/chat', { gpuCount: 2 }, { ...bad, code: 'immutable_field', field: 'gpuCount', says: /fixed at creation \(1\)/ }],
    ['PATCH', '/deployments/chat', { gpuType: 'h100' }, { ...bad, code: 'immutable_field', field: 'gpuType', says: /fixed at creation \(a5000\)/ }],
    ['PATCH', '/deployments/chat', { maxQueuedRequests: 100001 }, { ...bad, field: 'maxQueuedRequests', says: /between 0 and 100000/ }],
    ['PATCH', '/deployments/chat', { drainTimeoutMs: -1 }, { ...bad, field: 'drainTimeoutMs', says: /between 0 and 3600000/ }],
    ['PATCH', '/deployments/chat', { replicas: 2 }, { ...bad, field: 'replicas', says: /unknown field/ }],
    ['POST', '/deployments/chat/rotate-api-key', { graceSeconds: 604801 }, { ...bad, field: 'graceSeconds', says: /from 0 to 604800/ }],
    ['PUT', '/deployments/chat/autoscale', { maxReplicas: 1001 }, { ...bad, field: 'maxReplicas', says: /1000/ }],
    ['GET', '/deployments/chat/logs?tail=0', undefined, { ...bad, field: 'tail', says: /between 1 and 10000/ }],
    ['PUT', '/limits/gpu/a5000', { max: -1 }, { ...bad, field: 'max', says: /between 0 and 100000/ }],
    ['PUT', '/limits/gpu/a5000', { max: '8' }, { ...bad, field: 'max', says: /must be a number/ }],
    ['PUT', '/limits/gpu/A%20100', { max: 8 }, { ...bad, field: 'gpuType', says: /1-32 of a-z 0-9/ }],
  ];
  for (const [method, path, body, expected] of cases) {
    const what = `${method} ${path} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
    assertRefused(await call(method, path, body), expected, what);
    assert.deepEqual(storeContents(store), before, `${what}: the store is unchanged`);
  }
});

test('quota refusal says the quota, what others use and what was asked; nothing is written', async () => {
  const { call, store } = apiUnderTest({ gpus: 8 });
  await call('POST', '/deployments', { name: 'other', modelName: 'm', replicas: 3 });
  await call('PUT', '/limits/gpu/a5000', { max: 4 });
  const before = storeContents(store);
  const r = await call('POST', '/deployments', { name: 'big', modelName: 'm', gpuCount: 2, replicas: 1 });
  assertRefused(r, { status: 409, code: 'quota_exceeded', field: 'replicas', says: /quota/ }, 'over quota');
  assert.deepEqual(
    { gpuType: r.body.error.details.gpuType, wanted: r.body.error.details.wanted, limit: r.body.error.details.limit, used: r.body.error.details.used },
    { gpuType: 'a5000', wanted: 2, limit: 4, used: 3 },
  );
  assert.deepEqual(storeContents(store), before);
  assert.equal((await call('POST', '/deployments', { name: 'big', modelName: 'm', gpuCount: 1, replicas: 1 })).status, 201, 'within the quota: created');
});
