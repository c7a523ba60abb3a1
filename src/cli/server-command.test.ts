import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { keptReplicasHint, parseOnExit } from './server-command.js';
import { mountShutdownRoute } from '../server/shutdown-route.js';
import { errorResponse } from '../api/app.js';

test('--on-exit takes keep or stop; the older --stop-replicas-on-exit means stop', () => {
  assert.equal(parseOnExit('keep', false), 'keep');
  assert.equal(parseOnExit('stop', false), 'stop');
  assert.equal(parseOnExit('keep', true), 'stop');
  assert.throws(() => parseOnExit('halt', false), /--on-exit: keep or stop, got "halt"/);
});

test('a server stopped with its replicas kept says they hold GPUs and how to stop them', () => {
  assert.equal(
    keptReplicasHint(2, '/data'),
    '2 replicas keep running, holding its GPUs, for the next "inferscale server" to adopt.\nTo stop them: inferscale down --data-dir /data\n(or start the server with --on-exit stop to stop them whenever it stops)',
  );
  assert.match(keptReplicasHint(1, '/d'), /^1 replica keeps running.*\nTo stop it:/);
});

test('POST /server/shutdown asks the program running the server to stop it, or is refused where none can', async () => {
  const asked: string[] = [];
  const app = (request?: (r: 'keep' | 'stop') => void) => {
    const a = new Hono();
    a.onError((e, c) => errorResponse(c, e));
    mountShutdownRoute(a, request, () => 3);
    return a;
  };
  const post = (a: Hono, body: unknown) => a.request('/server/shutdown', { method: 'POST', body: JSON.stringify(body) });
  const res = await post(
    app((r) => asked.push(r)),
    {},
  );
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { stopping: true, replicas: 'stop', localReplicas: 3 });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(asked, ['stop']);
  const refused = await post(app(), {});
  assert.equal(refused.status, 400);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unsupported');
  assert.equal(
    (
      await post(
        app(() => assert.fail('not asked')),
        { replicas: 'later' },
      )
    ).status,
    400,
  );
});
