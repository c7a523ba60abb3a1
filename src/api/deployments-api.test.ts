import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiUnderTest } from './testkit.js';

test('create, list, show, scale, update and delete a deployment through the REST API', async () => {
  const { call, clock } = apiUnderTest();
  const created = await call('POST', '/deployments', { name: 'chat', modelName: 'm', gpuCount: 2, replicas: 1, labels: { team: 'a' } });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'chat');
  assert.equal(created.body.status, 'creating');
  assert.equal(created.body.gpuType, 'a5000', 'the only GPU type of the server');
  assert.equal(created.body.totalGpus, 2);
  assert.equal(created.body.url, 'http://127.0.0.1/d/chat/v1');
  assert.equal(created.body.createdAt, new Date(clock.now()).toISOString());
  assert.match(created.body.apiKey, /^isk-/, 'the key is shown once, at creation');

  const listed = await call('GET', '/deployments');
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.deployments.map((d: { name: string; replicas: number }) => [d.name, d.replicas]),
    [['chat', 1]],
  );
  assert.equal(listed.body.deployments[0].apiKey, undefined, 'list never carries the key');

  const shown = await call('GET', '/deployments/chat');
  assert.equal(shown.status, 200);
  assert.equal(shown.body.apiKey, undefined, 'show never carries the key');
  assert.equal(shown.body.autoscaler, null);
  assert.deepEqual(shown.body.labels, { team: 'a' });

  clock.advance(1000);
  const scaled = await call('POST', '/deployments/chat/scale', { replicas: 3 });
  assert.equal(scaled.status, 200);
  assert.equal(scaled.body.replicas, 3);
  assert.equal(scaled.body.totalGpus, 6);
  assert.equal(scaled.body.status, 'scaling');
  assert.equal(scaled.body.updatedAt, new Date(clock.now()).toISOString());

  const updated = await call('PATCH', '/deployments/chat', { maxOngoingRequests: 8, labels: { team: 'b' } });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.maxOngoingRequests, 8);
  assert.deepEqual(updated.body.labels, { team: 'b' });
  assert.equal(updated.body.status, 'scaling', 'no rolling update for a gateway limit or a label');
  const rolled = await call('PATCH', '/deployments/chat', { engineParams: '--ttft-ms 5' });
  assert.equal(rolled.body.status, 'updating');

  const events = await call('GET', '/deployments/chat/events?limit=2');
  assert.deepEqual(
    events.body.events.map((e: { kind: string }) => e.kind),
    ['update', 'update'],
    'the newest two, oldest first',
  );
  const scaleEvents = await call('GET', '/deployments/chat/events?kind=scale');
  assert.deepEqual(
    scaleEvents.body.events.map((e: { message: string; at: string }) => [e.message, e.at]),
    [['scaled 1 -> 3', new Date(clock.now()).toISOString()]],
  );

  const deleted = await call('DELETE', '/deployments/chat');
  assert.equal(deleted.status, 202);
  assert.deepEqual(deleted.body, { deleted: 'chat' });
  const gone = await call('GET', '/deployments/chat');
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'not_found');
  // the row stays, marked, until the reconciler has stopped its replicas
  assert.deepEqual(
    (await call('GET', '/deployments')).body.deployments.map((d: { name: string; status: string; replicas: number }) => [d.name, d.status, d.replicas]),
    [['chat', 'deleting', 0]],
  );
  assert.equal((await call('DELETE', '/deployments/chat')).status, 404, 'a second delete: not found');
});

test('reveal-api-key returns the key given at creation, and the new one after a rotation; never for an unknown deployment', async () => {
  const { call } = apiUnderTest();
  const key = (await call('POST', '/deployments', { name: 'chat', modelName: 'm', replicas: 0 })).body.apiKey;
  const revealed = await call('POST', '/deployments/chat/reveal-api-key');
  assert.equal(revealed.status, 200);
  assert.deepEqual(revealed.body, { name: 'chat', apiKey: key });
  const rotated = await call('POST', '/deployments/chat/rotate-api-key', { graceSeconds: 0 });
  assert.equal(rotated.status, 200);
  assert.equal(rotated.body.previousKeyValidUntil, null);
  assert.notEqual(rotated.body.apiKey, key);
  assert.equal((await call('POST', '/deployments/chat/reveal-api-key')).body.apiKey, rotated.body.apiKey);
  const unknown = await call('POST', '/deployments/nope/reveal-api-key');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'not_found');
  assert.equal(unknown.body.apiKey, undefined);
});

test('an unknown deployment or route is a 404 with code not_found on every route', async () => {
  const { call } = apiUnderTest();
  for (const [method, path, body] of [
    ['GET', '/deployments/nope'],
    ['PATCH', '/deployments/nope', { maxOngoingRequests: 2 }],
    ['DELETE', '/deployments/nope'],
    ['POST', '/deployments/nope/scale', { replicas: 1 }],
    ['PUT', '/deployments/nope/autoscale', { maxReplicas: 2 }],
    ['DELETE', '/deployments/nope/autoscale'],
    ['GET', '/deployments/nope/logs'],
    ['GET', '/deployments/nope/replicas'],
    ['GET', '/deployments/nope/events'],
    ['POST', '/deployments/nope/rotate-api-key', {}],
    ['GET', '/no-such-route'],
  ] as [string, string, unknown?][]) {
    const r = await call(method, path, body);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body.error.code, 'not_found', `${method} ${path}`);
  }
  assert.match((await call('GET', '/deployments/nope')).body.error.message, /deployment "nope" not found/);
  assert.match((await call('GET', '/no-such-route')).body.error.message, /no API route GET \/api\/v1\/no-such-route/);
});

test('GPU limits and the GPU list: quota set and removed, each GPU with the replica holding it', async () => {
  const { call, store, clock } = apiUnderTest({ gpus: 4 });
  const created = await call('POST', '/deployments', { name: 'chat', modelName: 'm', gpuCount: 2, replicas: 1 });
  assert.deepEqual((await call('GET', '/limits/gpu')).body, { limits: [{ gpuType: 'a5000', used: 2, max: 4, quota: null, inventory: 4 }] });
  assert.deepEqual((await call('PUT', '/limits/gpu/a5000', { max: 3 })).body.limits, [{ gpuType: 'a5000', used: 2, max: 3, quota: 3, inventory: 4 }]);
  assert.equal((await call('POST', '/deployments/chat/scale', { replicas: 2 })).body.error.code, 'quota_exceeded');
  assert.deepEqual((await call('PUT', '/limits/gpu/a5000', { max: null })).body.limits, [{ gpuType: 'a5000', used: 2, max: 4, quota: null, inventory: 4 }]);
  store.insertReplica({
    id: 'r1',
    deploymentId: created.body.id,
    state: 'ready',
    stateReason: '',
    gpus: [1, 2],
    pid: null,
    port: null,
    generation: 1,
    createdAt: clock.now(),
    startedAt: clock.now(),
    readyAt: clock.now(),
    stoppedAt: null,
    coldStartMs: 1500,
    exitInfo: '',
  });
  const gpus = (await call('GET', '/gpus')).body.gpus as { index: number; heldBy: string | null }[];
  assert.deepEqual(
    gpus.map((g) => [g.index, g.heldBy]),
    [
      [0, null],
      [1, 'r1'],
      [2, 'r1'],
      [3, null],
    ],
  );
  const replicas = (await call('GET', '/deployments/chat/replicas')).body.replicas;
  assert.deepEqual(
    replicas.map((r: { id: string; state: string; coldStartMs: number }) => [r.id, r.state, r.coldStartMs]),
    [['r1', 'ready', 1500]],
  );
  assert.equal((await call('GET', '/deployments/chat')).body.readyReplicas, 1);
});

test('autoscaling turned on, changed and off through the REST API; a manual scale is refused meanwhile', async () => {
  const { call } = apiUnderTest();
  await call('POST', '/deployments', { name: 'chat', modelName: 'm', replicas: 2 });
  const on = await call('PUT', '/deployments/chat/autoscale', { minReplicas: 1, maxReplicas: 4 });
  assert.equal(on.status, 200);
  assert.deepEqual([on.body.autoscale.minReplicas, on.body.autoscale.maxReplicas, on.body.replicas], [1, 4, 2]);
  const changed = await call('PUT', '/deployments/chat/autoscale', { maxReplicas: 6 });
  assert.deepEqual([changed.body.autoscale.minReplicas, changed.body.autoscale.maxReplicas], [1, 6], 'merged over the current spec');
  assert.equal((await call('POST', '/deployments/chat/scale', { replicas: 3 })).body.error.code, 'autoscaling_enabled');
  const off = await call('DELETE', '/deployments/chat/autoscale');
  assert.equal(off.status, 200);
  assert.deepEqual([off.body.autoscale, off.body.replicas], [null, 2]);
  const specEvents = (await call('GET', '/deployments/chat/events?kind=autoscale-spec')).body.events.map((e: { message: string }) => e.message);
  assert.equal(specEvents.length, 3);
  assert.match(specEvents[0], /^autoscaling on: /);
  assert.match(specEvents[1], /^autoscaling changed: /);
  assert.equal(specEvents[2], 'autoscaling off: replicas stay at 2 until scaled by hand');
  assert.deepEqual((await call('GET', '/deployments/chat/logs')).body, { lines: [] }, 'no replica has started: no log lines');
});
