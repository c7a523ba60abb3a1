// End-to-end against a real cluster: runs only when KUBECONFIG points at one (skipped otherwise, as on CI
// machines without a cluster). See docs/kubernetes.md, "Running the end-to-end suite".
//   KUBECONFIG=~/.kube/config INFERSCALE_E2E_NAMESPACE=inferscale-e2e \
//   INFERSCALE_E2E_ZONES=zones.yaml INFERSCALE_E2E_ZONE=my-zone INFERSCALE_E2E_GPU_TYPE=l4 \
//   node --test dist/providers/kubernetes/e2e.it.test.js
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import { engineDriver } from '../../engines/registry.js';
import { readZonesFile } from '../../zones/load.js';
import { KubeClient, loadKubeConfig } from './client.js';
import { LeaderElector } from '../../cluster/lease.js';
import { KubernetesProvider } from './provider.js';
import { until } from './testkit.js';

const env = process.env;
const live = !!env.KUBECONFIG && existsSync(env.KUBECONFIG.split(':')[0]);
const namespace = env.INFERSCALE_E2E_NAMESPACE ?? 'inferscale-e2e';

describe('end to end on a live cluster (KUBECONFIG)', { skip: live ? false : 'KUBECONFIG is not set: no live cluster' }, () => {
  it('leader election: a Lease is taken, renewed, released and taken over (MicroTime accepted by the API server)', async () => {
    const client = new KubeClient(loadKubeConfig({}), namespace);
    const name = `inferscale-e2e-${process.pid}`;
    const mk = (identity: string) => new LeaderElector({ client, name, identity, clock: systemClock, log: () => undefined });
    const a = mk('e2e-a');
    const b = mk('e2e-b');
    assert.equal(await a.step(), true);
    assert.equal(await a.step(), true);
    assert.equal(await b.step(), false);
    await a.stop();
    assert.equal(await b.step(), true);
    await b.stop();
    await client.coordination.deleteNamespacedLease({ name, namespace });
  });

  const zoneName = env.INFERSCALE_E2E_ZONE;
  it('a replica: objects created, pod ready, scaled down through the scale subresource, objects removed', {
    skip: zoneName && env.INFERSCALE_E2E_ZONES ? false : 'set INFERSCALE_E2E_ZONES and INFERSCALE_E2E_ZONE',
  }, async () => {
    const zone = readZonesFile(env.INFERSCALE_E2E_ZONES!).zones.find((z) => z.name === zoneName);
    assert.ok(zone && zone.type === 'kubernetes', `zone ${zoneName} is a Kubernetes zone of the file`);
    const logs: string[] = [];
    const p = new KubernetesProvider({ zone, kubeConfig: loadKubeConfig(zone), clock: systemClock, log: (l) => logs.push(l) });
    assert.equal(await p.init(), true, 'pods can be watched');
    const gpuType = env.INFERSCALE_E2E_GPU_TYPE ?? Object.keys(zone.gpuTypes)[0];
    const target = { zone: zone.name, gpuType, drainTimeoutMs: 10_000, labels: { 'e2e-run': String(process.pid) } };
    const launch = { modelName: 'e2e', engineParams: '--startup-seconds 1', gpus: [], gpuCount: 1 };
    const name = `e2e-${process.pid}`;
    try {
      const h1 = await p.start(`${name}-a`, name, engineDriver('sim'), launch, target);
      const h2 = await p.start(`${name}-b`, name, engineDriver('sim'), launch, target);
      const timeout = Number(env.INFERSCALE_E2E_READY_TIMEOUT_MS ?? 15 * 60_000);
      for (const h of [h1, h2]) await until(async () => (await p.probe(h)) === 'ready', `${h.replicaId} ready (${p.describe(h)})`, timeout);
      await p.stop(h2);
      const last = p.scaleDowns.at(-1)!;
      assert.equal(last.removed, last.chosen, logs.join('\n'));
      assert.equal(await p.probe(h1), 'ready');
      await p.stop(h1);
    } finally {
      await p.removeDeployment(name);
      await p.close();
    }
  });
});
