// The cold-start estimate of a deployment in a Kubernetes zone, as the whole server wires it: the gateway's
// Retry-After and the autoscaler's policy read the same value (the zone's default: local plus node provisioning).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { startFakeZone, type FakeZone } from '../test/fake-zone.js';
import { LOCAL_COLD_START_MS } from '../domain/limits.js';

let fz: FakeZone;
let t: TestServer;
before(async () => {
  fz = await startFakeZone();
  t = await startTestServer({ zones: fz.zones });
});
after(async () => {
  await t.close();
  await fz.close();
});

test('a Kubernetes-zone deployment: Retry-After and the autoscaler agree on its cold start, node provisioning included', async () => {
  const created = await t.api('POST', '/deployments', { name: 'eks-chat', modelName: 'm', zone: fz.zone.name, gpuType: 'h100', replicas: 0 });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const autoscale = await t.api('PUT', '/deployments/eks-chat/autoscale', { minReplicas: 0, maxReplicas: 2 });
  assert.equal(autoscale.status, 200, JSON.stringify(autoscale.body));
  const id = t.server.store.getDeploymentByName('eks-chat')!.id;
  const route = await waitFor(() => t.server.routes.get('eks-chat'), { what: 'the route of eks-chat' });
  const expected = LOCAL_COLD_START_MS + fz.zone.nodeProvisioningSeconds * 1000;
  assert.ok(fz.zone.nodeProvisioningSeconds > 0, 'the test zone provisions nodes');
  assert.equal(t.server.coldStartMs(id), expected);
  assert.equal(route!.coldStartSeconds * 1000, expected, "the gateway tells a held request to retry after the zone's cold start");
  assert.equal(t.server.autoscaler.status(id).coldStartMs, expected, 'the policy pre-warms that far ahead');
});
