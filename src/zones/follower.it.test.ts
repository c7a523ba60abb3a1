// A second gateway replica: it reads the shared state from the cluster (InferenceDeployment resources and key
// Secrets written by the leader) and watches pods, and routes to the same ready pods as the leader.
// Fake API over HTTP with the real client library; verified only against the fake, not a live cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { systemClock } from '../core/clock.js';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { startFakeZone, type FakeZone } from '../test/fake-zone.js';
import { RouteTable } from '../gateway/route-table.js';
import { Gateway } from '../gateway/gateway.js';
import { KubeClient } from '../providers/kubernetes/client.js';
import { ClusterDeployments, DeploymentMirror } from '../cluster/mirror.js';
import { PodRoutes } from '../cluster/pod-routes.js';
import { testZone, type FakeKube } from '../providers/kubernetes/testkit.js';

describe('a second gateway replica (follower) on a Kubernetes zone', () => {
  let k: FakeKube;
  let t: TestServer;
  let fz: FakeZone;
  before(async () => {
    fz = await startFakeZone();
    k = fz.k;
    t = await startTestServer({ zones: fz.zones });
  });
  after(async () => {
    await t.close();
    await fz.close();
  });

  it('reads deployments from the cluster and routes to the same ready pods as the leader', async () => {
    const created = await t.api('POST', '/deployments', { name: 'shared', modelName: 'm', zone: 'fake-eks', gpuType: 'h100', replicas: 2 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(async () => (await t.api('GET', '/deployments/shared')).body.readyReplicas === 2, { what: 'ready on the leader' });

    // the leader mirrors its state into the cluster (kubectl get inferencedeployments shows it)
    const client = new KubeClient(k.kc, k.namespace);
    const mirror = new DeploymentMirror(client, () => undefined);
    const readyOf = (id: string) => t.server.store.listReplicas(id).filter((r) => r.state === 'ready').length;
    await mirror.sync(t.server.store.listDeployments(), readyOf);
    const res = k.cluster.get('inferencedeployments', k.namespace, 'shared');
    assert.equal(res.spec.zone, 'fake-eks');
    assert.equal(res.status.readyReplicas, 2);
    assert.ok(k.cluster.tryGet('secrets', k.namespace, 'inferscale-key-shared'));

    // the follower: its own route table and gateway, fed from the cluster only
    const cluster = new ClusterDeployments(client, systemClock, () => undefined);
    assert.equal(await cluster.start(), true);
    const routes = new RouteTable(systemClock);
    const feeder = new PodRoutes({
      zone: testZone(),
      kubeConfig: k.kc,
      clock: systemClock,
      log: () => undefined,
      routes,
      deployments: () => cluster.rows(),
      podAddress: fz.zones.podAddress,
    });
    cluster.onChange(() => void feeder.sync());
    await feeder.start();
    const gateway = new Gateway({ routes, clock: systemClock });
    const server: Server = createServer((req, res) => {
      if (!gateway.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const followerUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const ids = (rt: RouteTable) =>
        [...(rt.get('shared')?.replicas.values() ?? [])]
          .filter((r) => r.routable)
          .map((r) => r.id)
          .sort()
          .join(',');
      await waitFor(() => ids(routes) !== '' && ids(routes) === ids(t.server.routes), { what: 'same ready replicas on leader and follower' });
      assert.equal(ids(routes).split(',').length, 2);

      const ask = (base: string) =>
        fetch(`${base}/d/shared/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${created.body.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
        });
      const viaFollower = await ask(followerUrl);
      assert.equal(viaFollower.status, 200, await viaFollower.clone().text());
      await viaFollower.arrayBuffer();
      const wrongKey = await fetch(`${followerUrl}/d/shared/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' });
      assert.equal(wrongKey.status, 401);
      await wrongKey.arrayBuffer();

      // the leader scales down: the removed pod leaves the follower's rotation too
      await t.api('POST', '/deployments/shared/scale', { replicas: 1 });
      await waitFor(() => ids(routes).split(',').length === 1 && ids(routes) === ids(t.server.routes), { what: 'follower follows the scale-down' });
    } finally {
      server.closeAllConnections();
      server.close();
      await feeder.stop();
      await cluster.stop();
      await routes.close();
    }
  });
});
