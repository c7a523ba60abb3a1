// HA failover of what a deployment keeps beside its row: its GPU memory (a fractional deployment) and its
// capacity type with the on-demand floor. Two real servers (real HTTP and SQLite files) share one fake
// Kubernetes API over HTTP whose zone shares GPUs by time-slicing and has GKE-style spot nodes. Verified only
// against the fake API, not a live cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimEngine, startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { addServerPod, haServerOptions } from '../test/ha-options.js';
import { H100_NODE_LABELS, startFakeKube, testZone, type FakeKube } from '../providers/kubernetes/testkit.js';
import type { ServerOptions } from '../server/start-server.js';
import { CapacityStore } from '../service/capacity-store.js';

const SHARED = 'nvidia.com/gpu.shared';
const GPU_TAINT = { key: 'nvidia.com/gpu', effect: 'NoSchedule' };

describe('HA: a failover keeps the GPU memory and the capacity of a deployment', () => {
  let k: FakeKube;
  let a: TestServer;
  let b: TestServer;
  let engine: { port: number; kill(): void };
  let zones: NonNullable<ServerOptions['zones']>;
  const ha = (identity: string) => haServerOptions(zones, identity);
  const role = (t: TestServer) => t.server.member?.currentRole;
  const pods = () =>
    k.cluster
      .list('pods', k.namespace, 'inferscale.dev/deployment=frac')
      .items.filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => `${p.metadata.name}@${p.spec.nodeName}`)
      .sort();

  before(async () => {
    k = await startFakeKube();
    k.controllers.addNode('od-a', H100_NODE_LABELS, 0, [GPU_TAINT], { [SHARED]: 4 });
    k.controllers.addNode(
      'spot-a',
      { ...H100_NODE_LABELS, 'cloud.google.com/gke-spot': 'true' },
      0,
      [GPU_TAINT, { key: 'cloud.google.com/gke-spot', value: 'true', effect: 'NoSchedule' }],
      { [SHARED]: 4 },
    );
    for (const name of ['server-a', 'server-b']) addServerPod(k, name);
    engine = await startSimEngine();
    const zone = testZone({
      fractionalGpus: { mode: 'time-slicing', resource: SHARED },
      gpuTypes: { h100: { ...testZone().gpuTypes.h100, memory: '80Gi' } },
      spot: { preset: 'gke' } as never,
    });
    zones = { file: { zones: [zone] }, kubeConfigFor: () => k.kc, podAddress: () => ({ host: '127.0.0.1', port: engine.port }) };
    a = await startTestServer(ha('server-a'));
    await waitFor(() => role(a) === 'leader', { what: 'a leads' });
    b = await startTestServer(ha('server-b'));
    await waitFor(() => role(b) === 'follower', { what: 'b follows' });
  });
  after(async () => {
    await b?.close();
    await a?.close().catch(() => undefined);
    engine?.kill();
    await k?.close();
  });

  it('the InferenceDeployment carries gpuMemory, capacity and onDemandFloor; the new leader restores them and adopts the same pods', async () => {
    const r = await a.api('POST', '/deployments', {
      name: 'frac',
      modelName: 'm',
      zone: 'fake-eks',
      gpuType: 'h100',
      gpuMemory: '10Gi',
      replicas: 2,
      capacity: 'mixed',
      onDemandFloor: 1,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await waitFor(async () => (await a.api('GET', '/deployments/frac')).body.readyReplicas === 2, { what: 'frac ready on a' });
    assert.deepEqual(
      pods().map((p) => p.split('@')[1]),
      ['od-a', 'spot-a'].sort(),
      'the floor on the on-demand node, the rest on the spot node',
    );
    const spec = await waitFor(() => {
      const s = k.cluster.tryGet('inferencedeployments', k.namespace, 'frac')?.spec;
      return s?.gpuMemory ? s : undefined;
    });
    assert.deepEqual([spec.gpuMemory, spec.capacity, spec.onDemandFloor], ['10Gi', 'mixed', 1]);
    const before = pods();

    await a.server.close();
    await waitFor(() => role(b) === 'leader', { what: 'b leads', timeoutMs: 10_000 });
    const d = (await b.api('GET', '/deployments/frac')).body;
    assert.equal(d.gpuMemory, '10Gi');
    assert.deepEqual(d.capacity, { capacity: 'mixed', onDemandFloor: 1 });
    const row = b.server.store.getDeploymentByName('frac')!;
    assert.equal(row.gpuMemoryMb, 10 * 1024);
    await waitFor(async () => (await b.api('GET', '/deployments/frac')).body.readyReplicas === 2, { what: 'adopted replicas ready on b' });
    assert.deepEqual(pods(), before, 'the same pods: their templates are current, nothing rolled');
    assert.deepEqual(
      b.server.store.listReplicas(row.id, ['ready']).map((x) => x.generation),
      [row.generation, row.generation],
    );

    // the kind of node of each adopted replica, for the cost ledger (read from its pod's label at adoption)
    const kinds = new CapacityStore(b.server.store.db).replicas();
    assert.deepEqual(
      b.server.store
        .listReplicas(row.id, ['ready'])
        .map((x) => kinds.get(x.id))
        .sort(),
      ['on-demand', 'spot'],
    );
    // the new leader's checks know the capacity it restored: a floor above the replicas is refused
    const floor = await b.api('PATCH', '/deployments/frac', { onDemandFloor: 3 });
    assert.equal(floor.status, 400, JSON.stringify(floor.body));
    assert.equal(floor.body.error.details.reason, 'floor_above_replicas');
    // a capacity edit in the cluster (kubectl edit) goes through it and is written back
    k.cluster.mutate('inferencedeployments', k.namespace, 'frac', (o) => {
      o.spec.onDemandFloor = 2;
    });
    await waitFor(async () => (await b.api('GET', '/deployments/frac')).body.capacity.onDemandFloor === 2, { what: 'the edit applied' });
  });
});
