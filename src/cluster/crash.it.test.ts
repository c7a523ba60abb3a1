// A leader that crashes (SIGKILL: no Lease release) is replaced once its Lease expires, and requests through
// the other gateway keep being served meanwhile. Real server processes (`inferscale server --ha`) on the fake
// Kubernetes API over HTTP; verified only against the fake, not a live cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../test/harness.js';
import { startHaCluster, type HaCluster } from '../test/ha-cluster.js';

let c: HaCluster;
before(async () => {
  c = await startHaCluster({ leaseSeconds: 3 });
});
after(async () => {
  await c?.close();
});

test('a crashed leader is replaced after its lease; the surviving gateway serves throughout; pods are adopted', async () => {
  const a = await c.start('server-a');
  await waitFor(async () => (await c.role(a)) === 'leader', { what: 'a leads' });
  const b = await c.start('server-b');
  assert.equal(await c.role(b), 'follower');
  const created = await c.api(b, 'POST', '/deployments', { name: 'chat', modelName: 'm', zone: 'fake-eks', gpuType: 'h100', replicas: 2 });
  assert.equal(created.status, 201, `${JSON.stringify(created.body)}\n--- server-a:\n${c.logs('server-a')}\n--- server-b:\n${c.logs('server-b')}`);
  const key = created.body.apiKey as string;
  await waitFor(async () => (await c.api(b, 'GET', '/deployments/chat')).body?.readyReplicas === 2, { what: 'ready' });
  const pods = c.pods();
  assert.equal(pods.length, 2);
  const ask = () =>
    fetch(`${b.url}/d/chat/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    }).then(
      async (r) => (await r.arrayBuffer(), r.status),
      () => 0,
    );
  await waitFor(async () => (await ask()) === 200, { what: 'the follower gateway serves' });

  const statuses: number[] = [];
  let running = true;
  const loops = Array.from({ length: 4 }, async () => {
    while (running) statuses.push(await ask());
  });
  a.child.kill('SIGKILL');
  await waitFor(async () => (await c.role(b)) === 'leader', { what: 'b leads after the lease expired', timeoutMs: 20_000 });
  await waitFor(async () => (await c.api(b, 'GET', '/deployments/chat')).body?.readyReplicas === 2, { what: 'the adopted replicas are ready on b' });
  running = false;
  await Promise.all(loops);
  assert.ok(statuses.length > 10, `requests sent during the failover: ${statuses.length}`);
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
    'no request failed through the surviving gateway',
  );
  assert.deepEqual(c.pods(), pods, 'the same pods: adopted by the new leader, none started or removed');
  assert.equal((await c.api(b, 'POST', '/deployments/chat/reveal-api-key')).body.apiKey, key);
});
