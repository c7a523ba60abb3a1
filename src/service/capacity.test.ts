import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { KeyBox } from '../security/secrets.js';
import { LocalProvider } from '../providers/local/provider.js';
import { DeploymentService } from './deployments.js';
import { invalid } from '../core/errors.js';
import { CapacityLink } from './capacity-link.js';
import { CapacityStore, onDemandFloor } from './capacity-store.js';

/** A service whose zones are `local` (no spot nodes) and `spotty` (spot nodes declared), both run by the local provider. */
function setup() {
  const clock = new FakeClock(Date.UTC(2025, 0, 6));
  const store = new Store(openDb(':memory:', SCHEMA));
  const inventory = virtualGpus(16, 'a5000');
  const provider = new LocalProvider({ clock, logDir: tmpdir(), inventory });
  const zones = {
    assertZone: (z: string) => {
      if (z !== 'local' && z !== 'spotty') throw invalid('zone', `unknown zone "${z}"`);
    },
    providerFor: () => provider,
    spotNodes: (z: string) => z === 'spotty',
  };
  const svc = new DeploymentService({
    store,
    clock,
    inventory,
    keys: new KeyBox('ab'.repeat(32)),
    provider,
    baseUrl: () => 'http://x',
    kick: () => undefined,
    zones,
  });
  return { svc, store };
}

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return `${(e as { code: string }).code}/${(e as { details: { reason?: string } }).details.reason}`;
  }
  return 'ok';
};

test('create stores the capacity and the view shows it; the default is on-demand', () => {
  const { svc } = setup();
  assert.deepEqual(svc.create({ name: 'plain', modelName: 'm' }).capacity, { capacity: 'on-demand', onDemandFloor: 0 });
  const v = svc.create({ name: 'mix', modelName: 'm', zone: 'spotty', replicas: 3, capacity: 'mixed', onDemandFloor: 1 });
  assert.deepEqual(v.capacity, { capacity: 'mixed', onDemandFloor: 1 });
  assert.deepEqual(svc.view(svc.get('mix')).capacity, { capacity: 'mixed', onDemandFloor: 1 });
});

test('refused capacities change nothing: no deployment, no capacity row, no event', () => {
  const { svc, store } = setup();
  assert.equal(
    codeOf(() => svc.create({ name: 'a', modelName: 'm', capacity: 'spot' })),
    'unsupported/no_spot_nodes',
  );
  assert.equal(
    codeOf(() => svc.create({ name: 'a', modelName: 'm', zone: 'spotty', replicas: 2, capacity: 'mixed', onDemandFloor: 3 })),
    'invalid_argument/floor_above_replicas',
  );
  assert.equal(
    codeOf(() => svc.create({ name: 'a', modelName: 'm', capacity: 'sometimes' })),
    'invalid_argument/undefined',
  );
  assert.equal(store.listDeployments().length, 0);
  assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM deployment_capacity').get() as { n: number }).n, 0);
});

test('update changes the capacity within the bounds; the autoscaling max bounds the floor', () => {
  const { svc, store } = setup();
  svc.create({ name: 'd', modelName: 'm', zone: 'spotty', replicas: 2 });
  assert.deepEqual(svc.update('d', { capacity: 'mixed', onDemandFloor: 2 }).capacity, { capacity: 'mixed', onDemandFloor: 2 });
  assert.equal(
    codeOf(() => svc.update('d', { onDemandFloor: 3 })),
    'invalid_argument/floor_above_replicas',
  );
  svc.setAutoscale('d', { minReplicas: 1, maxReplicas: 5 });
  assert.deepEqual(svc.update('d', { onDemandFloor: 5 }).capacity, { capacity: 'mixed', onDemandFloor: 5 });
  assert.equal(
    codeOf(() => svc.update('d', { onDemandFloor: 6 })),
    'invalid_argument/floor_above_max',
  );
  assert.equal(
    codeOf(() => svc.setAutoscale('d', { maxReplicas: 4 })),
    'invalid_argument/floor_above_max',
  );
  assert.equal(svc.get('d').autoscale?.maxReplicas, 5);
  assert.deepEqual(svc.update('d', { capacity: 'spot' }).capacity, { capacity: 'spot', onDemandFloor: 0 });
  const events = store.listEvents(svc.get('d').id, { kind: 'update' }).map((e) => e.message);
  assert.ok(
    events.some((m) => m.includes('capacity')),
    events.join('\n'),
  );
});

test('spot on a zone without spot nodes is refused on update too', () => {
  const { svc } = setup();
  svc.create({ name: 'l', modelName: 'm' });
  assert.equal(
    codeOf(() => svc.update('l', { capacity: 'mixed', onDemandFloor: 1 })),
    'unsupported/no_spot_nodes',
  );
  assert.deepEqual(svc.view(svc.get('l')).capacity, { capacity: 'on-demand', onDemandFloor: 0 });
});

test('deleting a deployment row drops its capacity row', () => {
  const { svc, store } = setup();
  svc.create({ name: 'x', modelName: 'm', zone: 'spotty', capacity: 'spot' });
  store.deleteDeployment(svc.get('x').id);
  assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM deployment_capacity').get() as { n: number }).n, 0);
});

test('the capacity link answers a zone provider by deployment name and records each replica kind of node', () => {
  const { svc, store } = setup();
  const link = new CapacityLink();
  assert.equal(link.of('mix'), undefined, 'not connected yet');
  link.connect(store);
  svc.create({ name: 'mix', modelName: 'm', zone: 'spotty', replicas: 2, capacity: 'mixed', onDemandFloor: 1 });
  assert.deepEqual(link.of('mix'), { capacity: 'mixed', onDemandFloor: 1 });
  assert.equal(link.of('nope'), undefined);
  link.record('r1', 'mix', 'spot');
  link.record('r2', 'gone', 'spot');
  assert.deepEqual([...svc.capacity.replicas()], [['r1', 'spot']]);
});

test("onDemandFloor: a mixed deployment's floor with the kind of node each of its replicas recorded; none for other capacities or floor 0", () => {
  const { svc, store } = setup();
  const mixed = svc.create({ name: 'mix', modelName: 'm', zone: 'spotty', replicas: 3, capacity: 'mixed', onDemandFloor: 1 }).id;
  const zero = svc.create({ name: 'zero', modelName: 'm', zone: 'spotty', replicas: 3, capacity: 'mixed', onDemandFloor: 0 }).id;
  const spot = svc.create({ name: 'spot', modelName: 'm', zone: 'spotty', capacity: 'spot' }).id;
  const caps = new CapacityStore(store.db);
  caps.setReplica('r-od', mixed, 'on-demand');
  caps.setReplica('r-spot', mixed, 'spot');
  caps.setReplica('r-other', spot, 'on-demand');
  const f = onDemandFloor(caps, mixed)!;
  assert.equal(f.onDemandFloor, 1);
  assert.deepEqual(['r-od', 'r-spot', 'r-other', 'r-unknown'].map(f.onDemand), [true, false, false, false]);
  assert.equal(onDemandFloor(caps, zero), undefined);
  assert.equal(onDemandFloor(caps, spot), undefined);
  assert.equal(onDemandFloor(caps, 'd-none'), undefined, 'no capacity row: on-demand, no floor');
});
