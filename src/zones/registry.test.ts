import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { LocalProvider } from '../providers/local/provider.js';
import { Reconciler, type RouteSink } from '../controller/reconciler.js';
import { deploymentRow } from '../test/rows.js';
import { validateZonesFile } from './config.js';
import { ZoneRegistry } from './registry.js';

const routes: RouteSink = { sync: () => undefined, readmit: () => undefined, remove: () => undefined, inflight: () => 0, ejected: () => false };

test("a simulated zone from the zones file: built by its type's factory, listed, and run by the same reconciler on a fake clock", async () => {
  const clock = new FakeClock(Date.UTC(2025, 0, 6));
  const inventory = virtualGpus(2, 'a5000');
  const file = validateZonesFile({
    zones: [{ name: 'sim', type: 'simulated', gpuTypes: { h100: { maxGpus: 8 } }, coldStartSeconds: 45, engineUrl: 'http://127.0.0.1:9' }],
  });
  const local = new LocalProvider({ clock, logDir: tmpdir(), inventory });
  const zones = await ZoneRegistry.open({ file, clock, log: () => undefined, inventory, local });
  assert.deepEqual(zones.names(), ['local', 'sim']);
  assert.deepEqual(
    (await zones.list()).map((z) => [z.name, z.type, z.gpus.map((g) => `${g.gpuType}:${g.limit}`).join(',')]),
    [
      ['local', 'local', 'a5000:2'],
      ['sim', 'simulated', 'h100:8'],
    ],
  );
  assert.equal(zones.defaultColdStartMs('sim'), 45_000);
  assert.equal(zones.defaultColdStartMs('local'), 30_000);
  assert.equal(zones.providerFor('sim')!.capacity('h100'), 8);
  assert.throws(() => zones.assertZone('nowhere'), /unknown zone "nowhere" \(available: local, sim\)/);

  const store = new Store(openDb(':memory:', SCHEMA));
  const rec = new Reconciler({ store, providers: zones.providers(), clock, inventory, routes, log: () => undefined, tickMs: 3_600_000 });
  store.insertDeployment(deploymentRow({ zone: 'sim', gpuType: 'h100', gpuCount: 4 }));
  await rec.tick();
  const replica = () => store.listReplicas('d1')[0];
  assert.deepEqual([replica().state, replica().gpus], ['starting', []], 'the simulated platform places its replicas: no local GPUs taken');
  clock.advance(45_000);
  await rec.tick();
  assert.deepEqual([replica().state, replica().coldStartMs], ['ready', 45_000]);
  await rec.stop();
  await zones.close();
});
