import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import type { DeploymentRow } from '../../store/store.js';
import { durationText, fromResource, inferenceDeploymentCrd, keySecret, specInMs, toResource } from './crd.js';
import { validateObject } from './validate.js';
import { deploymentRow } from '../../test/rows.js';

/** the CRD as deploy/base/crd.yaml holds it, read back as the manifests test reads it */
const wire = (): any => JSON.parse(JSON.stringify(loadYaml(dumpYaml(inferenceDeploymentCrd()))));

test('the rendered CRD validates (kubernetes-models apiextensions v1) with the scale and status subresources and printer columns', () => {
  const c = wire();
  assert.deepEqual(validateObject(c), []);
  const v = c.spec.versions[0];
  assert.deepEqual(v.subresources, { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.readyReplicas' } });
  assert.deepEqual(
    v.additionalPrinterColumns.map((p: { name: string }) => p.name),
    ['Zone', 'Model', 'GPU', 'Ready', 'Desired', 'Status', 'Age'],
  );
  assert.deepEqual(v.additionalPrinterColumns.at(-1), { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
  const status = v.schema.openAPIV3Schema.properties.status.properties;
  assert.deepEqual(status.conditions.items.properties.status.enum, ['True', 'False', 'Unknown']);
  assert.equal(status.observedGeneration.type, 'integer');
  // the API server's names for the extensions (what `kubectl apply` of the file sends)
  const text = dumpYaml(inferenceDeploymentCrd());
  for (const line of ['x-kubernetes-list-type: map', 'x-kubernetes-int-or-string: true', 'x-kubernetes-list-map-keys:']) assert.ok(text.includes(line), line);
  assert.ok(!/x_kubernetes|_enum|&ref_/.test(text), 'no library field names or YAML anchors');
});

test('spec durations are written as text that reads back exactly, and read from text or milliseconds', () => {
  assert.deepEqual([300_000, 90_000, 1_500, 250, 61_500, 5_400_000].map(durationText), ['5m', '1m30s', '1.5s', '250ms', '61500ms', '1h30m']);
  assert.deepEqual(specInMs({ queueTimeout: '5m', drainTimeout: 2_000, replicas: 1 }), { queueTimeoutMs: 300_000, drainTimeoutMs: 2_000, replicas: 1 });
  assert.deepEqual(specInMs({ queueTimeoutMs: 7_000 }), { queueTimeoutMs: 7_000 }, 'a resource written before keeps its milliseconds');
  assert.throws(() => specInMs({ queueTimeout: 'later' }), { code: 'invalid_argument', message: /queueTimeout: "later" is not a duration/ });
});

test('a resource written before durations became text still reads back', () => {
  const d = {
    id: 'id-chat',
    name: 'chat',
    modelName: 'm',
    engine: 'sim',
    engineParams: '',
    gpuType: 'h100',
    gpuCount: 1,
    replicas: 1,
    zone: 'z',
    status: 'ready',
    statusDetails: '',
    maxOngoingRequests: 8,
    maxQueuedRequests: 10,
    queueTimeoutMs: 120_000,
    drainTimeoutMs: 30_000,
    autoscale: null,
    labels: {},
    apiKeyHash: Buffer.alloc(32, 1),
    apiKeySealed: 's',
    previousKeyHash: null,
    previousKeyUntil: null,
    createdAt: 0,
    updatedAt: 0,
    generation: 1,
    everReady: true,
    deleting: false,
  } as DeploymentRow;
  const r = toResource(d, 1);
  assert.deepEqual([r.spec.queueTimeout, r.spec.drainTimeout, 'queueTimeoutMs' in r.spec], ['2m', '30s', false]);
  const old = { ...r, spec: { ...r.spec, queueTimeout: undefined, drainTimeout: undefined, queueTimeoutMs: 120_000, drainTimeoutMs: 30_000 } };
  old.metadata = { ...old.metadata, annotations: { ...old.metadata.annotations, 'inferscale.dev/applied-spec': JSON.stringify(old.spec) } };
  const back = fromResource(old, keySecret(d));
  assert.deepEqual([back?.queueTimeoutMs, back?.drainTimeoutMs], [120_000, 30_000]);
  assert.deepEqual([fromResource(r, keySecret(d))?.queueTimeoutMs, fromResource(r, keySecret(d))?.drainTimeoutMs], [120_000, 30_000]);
});

test('gpuMemory, capacity and onDemandFloor: in the schema with the API bounds, written only where not the default, read back', () => {
  const props = wire().spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
  // read back into the library's model, whose field for `enum` is `_enum` (the YAML says enum: the first test)
  assert.deepEqual(props.capacity._enum, ['on-demand', 'spot', 'mixed']);
  assert.deepEqual([props.onDemandFloor.minimum, props.onDemandFloor.maximum], [0, 1000]);
  const sizes = new RegExp(props.gpuMemory.pattern);
  assert.deepEqual(
    ['10Gi', '512Mi', '1.5Ti', '6GiB', '10', '10GB', 'lots'].map((t) => sizes.test(t)),
    [true, true, true, true, false, false, false],
  );
  const d = deploymentRow({
    id: 'id-frac',
    name: 'frac',
    gpuType: 'h100',
    gpuCount: 1,
    replicas: 3,
    zone: 'z',
    status: 'ready',
    apiKeyHash: Buffer.alloc(32, 1),
    apiKeySealed: 's',
    everReady: true,
  });
  const plain = toResource(d, 0);
  assert.ok(!['gpuMemory', 'capacity', 'onDemandFloor'].some((f) => f in plain.spec), 'a whole-GPU on-demand deployment: its spec as before');
  assert.deepEqual(fromResource(plain, keySecret(d))?.capacity, { capacity: 'on-demand', onDemandFloor: 0 });
  const r = toResource({ ...d, gpuMemoryMb: 10_240 }, 0, undefined, { capacity: 'mixed', onDemandFloor: 1 });
  assert.deepEqual([r.spec.gpuMemory, r.spec.capacity, r.spec.onDemandFloor], ['10Gi', 'mixed', 1]);
  const back = fromResource(r, keySecret(d));
  assert.deepEqual([back?.gpuMemoryMb, back?.capacity], [10_240, { capacity: 'mixed', onDemandFloor: 1 }]);
});
