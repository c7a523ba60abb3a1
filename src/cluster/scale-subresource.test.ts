// `kubectl scale idep NAME --replicas N` and `kubectl wait --for=condition=Ready idep/NAME`, through the real
// client library against the fake API over HTTP, with a real DeploymentService behind the leader's mirror.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient, MERGE_PATCH } from '../providers/kubernetes/client.js';
import { CRD_GROUP, CRD_PLURAL, CRD_VERSION } from '../providers/kubernetes/crd.js';
import type { Condition } from '../providers/kubernetes/crd-conditions.js';
import { startFakeKube, type FakeKube } from '../providers/kubernetes/testkit.js';
import { inProcessService } from '../service/testkit.js';
import type { DeploymentRow } from '../store/store.js';
import { applySpecEdit } from './edits.js';
import { DeploymentMirror } from './mirror.js';

let k: FakeKube;
let client: KubeClient;
before(async () => {
  k = await startFakeKube();
  client = new KubeClient(k.kc, k.namespace);
});
after(async () => {
  await k.close();
});

const crd = { group: CRD_GROUP, version: CRD_VERSION, plural: CRD_PLURAL };
let t: ReturnType<typeof inProcessService>;
let mirror: DeploymentMirror;
beforeEach(() => {
  for (const r of k.cluster.list('inferencedeployments', k.namespace).items)
    k.cluster.mutate('inferencedeployments', k.namespace, r.metadata.name, (o) => void (o.metadata.finalizers = []));
  for (const r of k.cluster.list('inferencedeployments', k.namespace).items) k.cluster.delete('inferencedeployments', k.namespace, r.metadata.name);
  t = inProcessService();
  mirror = new DeploymentMirror(client, () => undefined, { now: () => t.clock.now() });
});

/** One round of the leader: every deployment written, cluster edits applied through the service. */
const sync = (ready = 0, over: Partial<DeploymentRow> = {}) =>
  mirror.sync(
    t.store.listDeployments().map((d) => ({ ...d, ...over })),
    () => ready,
    undefined,
    { onEdit: (d, edit) => applySpecEdit(t, d, edit, t.clock.now()) },
  );
const resource = () => k.cluster.get('inferencedeployments', k.namespace, 'chat');
const condition = (type: string): Condition => resource().status.conditions.find((c: Condition) => c.type === type);
/** what `kubectl scale idep chat --replicas N` sends: a merge patch of the scale subresource */
const kubectlScale = (replicas: number) =>
  client.custom.patchNamespacedCustomObjectScale({ ...crd, namespace: k.namespace, name: 'chat', body: { spec: { replicas } } }, MERGE_PATCH);

test('kubectl scale through the scale subresource changes a manual deployment', async () => {
  t.deployments.create({ name: 'chat', modelName: 'm', replicas: 1 });
  await sync();
  const scale = (await client.custom.getNamespacedCustomObjectScale({ ...crd, namespace: k.namespace, name: 'chat' })) as {
    spec: { replicas: number };
  };
  assert.equal(scale.spec.replicas, 1);
  await kubectlScale(3);
  assert.equal(resource().spec.replicas, 3, 'the API server wrote spec.replicas');
  await sync();
  assert.equal(t.deployments.get('chat').replicas, 3, 'the deployment took it');
  assert.equal(resource().spec.replicas, 3, 'and it stays');
  assert.deepEqual([condition('SpecApplied').status, condition('SpecApplied').reason], ['True', 'EditApplied']);
  assert.equal(resource().status.observedGeneration, resource().metadata.generation);
});

test('kubectl scale of an autoscaled deployment is set back, with a condition and an event saying why', async () => {
  t.deployments.create({ name: 'chat', modelName: 'm', replicas: 1 });
  t.deployments.setAutoscale('chat', { minReplicas: 1, maxReplicas: 4 });
  await sync();
  const before = t.deployments.get('chat').replicas;
  await kubectlScale(3);
  await sync();
  assert.equal(t.deployments.get('chat').replicas, before, 'the deployment is unchanged');
  assert.equal(resource().spec.replicas, before, 'the resource is set back');
  const c = condition('SpecApplied');
  assert.deepEqual([c.status, c.reason], ['False', 'ScaleRefused']);
  assert.match(c.message, /autoscaled \(min 1, max 4\)/);
  assert.equal(c.observedGeneration, resource().metadata.generation);
  const events = k.cluster
    .list('events', k.namespace)
    .items.filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'chat' && e.reason === 'ScaleRefused');
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'Warning');
  // the condition stands until the next change made in the cluster
  t.clock.advance(60_000);
  await sync();
  assert.deepEqual([condition('SpecApplied').status, condition('SpecApplied').lastTransitionTime], ['False', c.lastTransitionTime]);
  t.deployments.disableAutoscale('chat');
  await kubectlScale(2);
  await sync();
  assert.equal(t.deployments.get('chat').replicas, 2);
  assert.deepEqual([condition('SpecApplied').status, condition('SpecApplied').reason], ['True', 'EditApplied']);
});

test('Ready, Progressing and Degraded follow the deployment; observedGeneration the resource', async () => {
  t.deployments.create({ name: 'chat', modelName: 'm', replicas: 2 });
  const start = t.clock.now();
  await sync(0, { status: 'deploying', statusDetails: 'waiting for 2 replicas' });
  assert.deepEqual([condition('Ready').status, condition('Progressing').status, condition('Degraded').status], ['False', 'True', 'False']);
  assert.equal(condition('Ready').lastTransitionTime, new Date(start).toISOString());
  t.clock.advance(30_000);
  await sync(2, { status: 'ready', statusDetails: '' });
  assert.deepEqual(
    [condition('Ready').status, condition('Ready').reason, condition('Progressing').status],
    ['True', 'ReplicasReady', 'False'],
    'kubectl wait --for=condition=Ready returns',
  );
  assert.equal(condition('Ready').lastTransitionTime, new Date(start + 30_000).toISOString());
  assert.equal(condition('Degraded').lastTransitionTime, new Date(start).toISOString(), 'unchanged: its time stays');
  t.clock.advance(30_000);
  await sync(0, { status: 'error', statusDetails: 'replicas keep failing' });
  assert.deepEqual([condition('Ready').status, condition('Degraded').status, condition('Degraded').reason], ['False', 'True', 'ReplicasFailing']);
  // a spec change made through the API bumps the resource's generation; the status follows it
  const generation = resource().metadata.generation ?? 0;
  t.deployments.update('chat', { maxOngoingRequests: 9 });
  await sync(0, { status: 'error', statusDetails: 'replicas keep failing' });
  assert.ok((resource().metadata.generation ?? 0) > generation);
  assert.equal(resource().status.observedGeneration, resource().metadata.generation);
  assert.ok(resource().status.conditions.every((c: Condition) => c.observedGeneration === resource().metadata.generation));
});

test('durations are written as text and read back from text or milliseconds', async () => {
  t.deployments.create({ name: 'chat', modelName: 'm', replicas: 1, queueTimeoutMs: 300_000, drainTimeoutMs: 90_000 });
  await sync();
  assert.deepEqual([resource().spec.queueTimeout, resource().spec.drainTimeout], ['5m', '1m30s']);
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => void (r.spec.queueTimeout = '10m'));
  await sync();
  assert.equal(t.deployments.get('chat').queueTimeoutMs, 600_000);
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => void (r.spec.drainTimeout = 45_000));
  await sync();
  assert.equal(t.deployments.get('chat').drainTimeoutMs, 45_000);
  assert.equal(resource().spec.drainTimeout, '45s', 'written back as text');
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => void (r.spec.drainTimeout = 'soon'));
  await sync();
  assert.equal(t.deployments.get('chat').drainTimeoutMs, 45_000, 'text that is not a duration is refused');
  assert.equal(resource().spec.drainTimeout, '45s');
  assert.match(condition('SpecApplied').message, /drainTimeout: "soon" is not a duration/);
  // the autoscale spec's delays keep their names: text is taken, milliseconds are written back
  t.deployments.setAutoscale('chat', { minReplicas: 1, maxReplicas: 3 });
  await sync();
  k.cluster.mutate('inferencedeployments', k.namespace, 'chat', (r) => {
    r.spec.autoscale.downscaleDelayMs = '2m';
  });
  await sync();
  assert.equal(t.deployments.get('chat').autoscale?.downscaleDelayMs, 120_000);
  assert.equal(resource().spec.autoscale.downscaleDelayMs, 120_000);
});
