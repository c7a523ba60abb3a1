// The drain start on a pod: planned from rows (pure), written and read back through the real client against the fake API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeClient } from '../providers/kubernetes/client.js';
import { ANNOTATION_REPLICA } from '../providers/kubernetes/labels.js';
import { startFakeKube, type FakeKube } from '../providers/kubernetes/testkit.js';
import { ANNOTATION_DRAIN_STARTED, drainMarks, drainStartOf, drainStartsByReplica, writeDrainMarks } from './drain-marks.js';

const pod = (name: string, annotations: Record<string, string> = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { 'inferscale.dev/deployment': 'chat' }, annotations },
  spec: { containers: [{ name: 'engine', image: 'i' }] },
});

test('a pod gets a mark when its replica drains and its annotation is missing or differs; others are left alone', () => {
  const pods = [
    pod('p1', { [ANNOTATION_REPLICA]: 'r1' }),
    pod('p2', { [ANNOTATION_REPLICA]: 'r2', [ANNOTATION_DRAIN_STARTED]: '5000' }),
    pod('p3', { [ANNOTATION_REPLICA]: 'r3', [ANNOTATION_DRAIN_STARTED]: '1' }),
    pod('p4', { [ANNOTATION_REPLICA]: 'r4' }),
    pod('free'),
  ];
  const draining = [
    { id: 'r1', drainStartedAt: 1000 },
    { id: 'r2', drainStartedAt: 5000 },
    { id: 'r3', drainStartedAt: 7000 },
    { id: 'r9', drainStartedAt: 9000 },
    { id: 'r4', drainStartedAt: null },
  ];
  assert.deepEqual(drainMarks(pods, draining), [
    { pod: 'p1', replicaId: 'r1', drainStartedAt: 1000 },
    { pod: 'p3', replicaId: 'r3', drainStartedAt: 7000 },
  ]);
});

test('a drain start that is not a whole number of ms is not read', () => {
  assert.equal(drainStartOf(pod('a', { [ANNOTATION_DRAIN_STARTED]: '1733550000000' })), 1733550000000);
  assert.equal(drainStartOf(pod('b', { [ANNOTATION_DRAIN_STARTED]: 'soon' })), undefined);
  assert.equal(drainStartOf(pod('c', { [ANNOTATION_DRAIN_STARTED]: '-5' })), undefined);
  assert.equal(drainStartOf(pod('d')), undefined);
});

let k: FakeKube;
let client: KubeClient;
before(async () => {
  k = await startFakeKube();
  k.controllers.close(); // plain API semantics: the pods are the ones created here
  client = new KubeClient(k.kc, k.namespace);
});
after(() => k.close());

test("the leader writes the drain start on a draining replica's pod, where a new leader reads it back (restore.test.ts: restored as draining)", async () => {
  for (const [name, replicaId] of [
    ['chat-abc-1', 'r1'],
    ['chat-abc-2', 'r2'],
  ])
    await client.core.createNamespacedPod({ namespace: k.namespace, body: pod(name, { [ANNOTATION_REPLICA]: replicaId }) });
  const list = async () => (await client.core.listNamespacedPod({ namespace: k.namespace })).items;
  const logged: string[] = [];
  // the old leader: r1 started draining at 40 000, r2 serves; a pod already gone is logged, not thrown
  await writeDrainMarks(
    client,
    [...drainMarks(await list(), [{ id: 'r1', drainStartedAt: 40_000 }]), { pod: 'gone', replicaId: 'r7', drainStartedAt: 1 }],
    (l) => logged.push(l),
  );
  assert.equal(logged.length, 1);
  assert.match(logged[0], /cannot mark pod gone \(replica r7\) draining/);
  const pods = await list();
  assert.deepEqual([...drainStartsByReplica(pods)], [['r1', 40_000]]);
  assert.deepEqual(drainMarks(pods, [{ id: 'r1', drainStartedAt: 40_000 }]), [], 'marked once');
});
