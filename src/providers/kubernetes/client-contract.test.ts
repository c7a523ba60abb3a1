// Contract of the real @kubernetes/client-node against the local fake API server (HTTP): what inferscale relies on.
// Verified only against the fake: a real API server is covered by e2e.it.test.ts when KUBECONFIG is set.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { systemClock } from '../../core/clock.js';
import { apiStatus, isConflict, isNotFound, KubeClient, MERGE_PATCH } from './client.js';
import { WatchedCache } from './informer.js';
import { WorkloadApi } from './workload.js';
import { startFakeKube, until, type FakeKube } from './testkit.js';

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });

describe('@kubernetes/client-node against the fake API server', () => {
  let k: FakeKube;
  let c: KubeClient;
  before(async () => {
    k = await startFakeKube();
    k.controllers.close(); // plain API semantics, no controllers acting
    c = new KubeClient(k.kc, k.namespace);
  });
  after(() => k.close());

  it('sends patches as JSON Patch unless told otherwise: a merge-patch body needs the merge-patch Content-Type', async () => {
    await c.core.createNamespacedPod({ namespace: k.namespace, body: pod('p1') });
    await assert.rejects(
      c.core.patchNamespacedPod({ name: 'p1', namespace: k.namespace, body: { metadata: { annotations: { a: '1' } } } }),
      (e) => apiStatus(e) === 400,
    );
    assert.equal(k.server.requests.at(-1)!.contentType, 'application/json-patch+json');
    await c.core.patchNamespacedPod({ name: 'p1', namespace: k.namespace, body: { metadata: { annotations: { a: '1' } } } }, MERGE_PATCH);
    assert.equal(k.server.requests.at(-1)!.contentType, 'application/merge-patch+json');
    await c.core.patchNamespacedPod({ name: 'p1', namespace: k.namespace, body: [{ op: 'add', path: '/metadata/annotations/b', value: '2' }] });
    assert.deepEqual(k.cluster.get('pods', k.namespace, 'p1').metadata.annotations, { a: '1', b: '2' });
    await c.core.patchNamespacedPod({ name: 'p1', namespace: k.namespace, body: { metadata: { annotations: { a: null } } } }, MERGE_PATCH);
    assert.deepEqual(k.cluster.get('pods', k.namespace, 'p1').metadata.annotations, { b: '2' }, 'null removes a key');
  });

  it('maps API errors to typed checks: 404 NotFound, 409 Conflict on a stale resourceVersion', async () => {
    await assert.rejects(c.core.readNamespacedPod({ name: 'nope', namespace: k.namespace }), (e) => isNotFound(e));
    const cur = await c.core.readNamespacedPod({ name: 'p1', namespace: k.namespace });
    await c.core.replaceNamespacedPod({ name: 'p1', namespace: k.namespace, body: { ...cur, metadata: { ...cur.metadata, labels: { app: 'y' } } } });
    await assert.rejects(c.core.replaceNamespacedPod({ name: 'p1', namespace: k.namespace, body: cur }), (e) => isConflict(e));
  });

  it('reads and writes the replica count through the scale subresource, retrying a conflict', async () => {
    await c.apps.createNamespacedDeployment({
      namespace: k.namespace,
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd1' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'd1' } },
          template: { metadata: { labels: { app: 'd1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    const logs: string[] = [];
    const api = new WorkloadApi(c, (l) => logs.push(l));
    k.server.failNext('PUT', /\/deployments\/d1\/scale$/, 409);
    assert.equal(await api.setScale('d1', 3), 0);
    assert.equal(k.cluster.get('deployments', k.namespace, 'd1').spec.replicas, 3);
    const scale = await c.apps.readNamespacedDeploymentScale({ name: 'd1', namespace: k.namespace });
    assert.equal(scale.spec?.replicas, 3);
    assert.equal(scale.status?.selector, 'app=d1');
    // someone else changes the count: inferscale says so and sets it back
    k.cluster.replaceScale(k.namespace, 'd1', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'd1' }, spec: { replicas: 7 } });
    await api.setScale('d1', 3);
    assert.ok(logs.some((l) => l.includes('changed outside inferscale (3 -> 7)')));
    assert.equal(await api.annotatePod('gone-pod', { a: 'b' }), false, 'a pod that is gone is not an error');
  });

  it('keeps a watch cache current: events, a dropped stream resumes from its resourceVersion, a 410 re-lists, an error restarts', async () => {
    const ns = k.namespace;
    const lists = () => k.server.requests.filter((r) => r.path.endsWith('/pods') && r.method === 'GET' && r.query.watch !== 'true').length;
    const cache = new WatchedCache<V1Pod>({
      kc: k.kc,
      path: `/api/v1/namespaces/${ns}/pods`,
      labelSelector: 'app=w',
      clock: systemClock,
      log: () => undefined,
      what: 'pods',
      list: () => c.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=w' }),
    });
    const seen: string[] = [];
    cache.onChange((t, p) => seen.push(`${t}:${p.metadata?.name}`));
    assert.equal(await cache.start(), true);
    const names = () =>
      cache
        .list()
        .map((p) => p.metadata?.name)
        .sort()
        .join(',');
    k.cluster.create('pods', ns, { ...pod('w1'), metadata: { name: 'w1', labels: { app: 'w' } } });
    k.cluster.create('pods', ns, { ...pod('other'), metadata: { name: 'other', labels: { app: 'not-w' } } });
    await until(() => names() === 'w1', 'w1 seen, other filtered out by the label selector');
    const listsBefore = lists();
    k.server.dropWatches();
    k.cluster.create('pods', ns, { ...pod('w2'), metadata: { name: 'w2', labels: { app: 'w' } } });
    await until(() => names() === 'w1,w2', 'w2 seen after the stream was dropped');
    assert.equal(lists(), listsBefore, 'resumed from the resourceVersion without a list');
    // the history is compacted while no watch is open: resuming gets 410 Gone, the cache lists again
    k.cluster.compact();
    k.server.failNext('GET', /\/pods$/, 500); // the next watch attempt fails: the cache restarts after a backoff
    k.server.dropWatches();
    k.cluster.delete('pods', ns, 'w1', 0);
    k.cluster.compact();
    await until(() => names() === 'w2', 'w1 deletion seen after error + 410 + re-list', 15_000);
    assert.ok(lists() > listsBefore, 're-listed');
    assert.ok(cache.restarts >= 1, 'restarted after the error');
    assert.ok(seen.includes('delete:w1'));
    await cache.stop();
  });
});
