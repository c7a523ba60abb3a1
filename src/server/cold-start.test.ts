import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { deploymentRow } from '../test/rows.js';
import { RouteTable } from '../gateway/route-table.js';
import { FakeClock } from '../core/clock.js';
import { coldStartEstimate } from './cold-start.js';

const ZONE_DEFAULTS: Record<string, number> = { local: 30_000, eks: 330_000 };

function setup(clusterMs: (id: string) => number | undefined = () => undefined) {
  const store = new Store(openDb(':memory:', SCHEMA));
  const estimate = coldStartEstimate({ store, zoneDefaultMs: (z) => ZONE_DEFAULTS[z], clusterMs });
  return { store, estimate };
}

function readyReplica(store: Store, id: string, coldStartMs: number, readyAt: number) {
  store.insertReplica({
    id,
    deploymentId: 'd1',
    state: 'ready',
    stateReason: '',
    gpus: [],
    pid: null,
    pidStart: null,
    port: null,
    generation: 1,
    createdAt: 0,
    startedAt: 0,
    readyAt,
    stoppedAt: null,
    coldStartMs,
    exitInfo: '',
  });
}

test("before any measurement: the zone's default, node provisioning included on Kubernetes", () => {
  const { store, estimate } = setup();
  store.insertDeployment(deploymentRow({ id: 'd1', zone: 'eks' }));
  store.insertDeployment(deploymentRow({ id: 'd2', name: 'local-chat', zone: 'local', apiKeyHash: Buffer.alloc(32, 1) }));
  assert.equal(estimate('d1'), 330_000);
  assert.equal(estimate('d2'), 30_000);
});

test('measured cold starts replace the default (their median)', () => {
  const { store, estimate } = setup();
  store.insertDeployment(deploymentRow({ id: 'd1', zone: 'eks' }));
  readyReplica(store, 'r1', 40_000, 1);
  readyReplica(store, 'r2', 60_000, 2);
  readyReplica(store, 'r3', 500_000, 3);
  assert.equal(estimate('d1'), 60_000);
});

test("a deployment with no row here (an HA follower): the leader's estimate from the cluster, else the local default", () => {
  const { estimate } = setup((id) => (id === 'known' ? 200_000 : undefined));
  assert.equal(estimate('known'), 200_000);
  assert.equal(estimate('unknown'), 30_000);
});

test('the route table takes the estimate at each sync: a held request retries after it', () => {
  const { store, estimate } = setup();
  const d = deploymentRow({ id: 'd1', zone: 'eks' });
  store.insertDeployment(d);
  const routes = new RouteTable(new FakeClock(), { coldStartMs: estimate });
  routes.sync(d, []);
  assert.equal(routes.getById('d1')!.coldStartSeconds, 330);
  readyReplica(store, 'r1', 90_000, 1);
  routes.sync(d, []);
  assert.equal(routes.getById('d1')!.coldStartSeconds, 90);
});
