import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { HistoryStore } from '../history/store.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import type { Replica } from '../domain/types.js';
import { CostService, DEFAULT_VIRTUAL_USD_PER_GPU_HOUR } from './service.js';

// Hand-computed scenario under a FakeClock; times in seconds after T0.
//  chat  (2 GPUs/replica, team=search): r1 runs 0-630, r2 60-630 (pending 0-60), scaled to zero at 600
//        (drained until 630), back to one replica r3 from 3000.
//  embed (1 GPU/replica, team=ads):     r4 runs from 1000.
// a5000 priced at $2/GPU-hour.
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const at = (s: number) => T0 + s * 1000;

function setup() {
  const clock = new FakeClock(T0);
  const store = new Store(openDb(':memory:', SCHEMA));
  const history = new HistoryStore(store.db);
  const cost = new CostService({ store, history, clock, inventory: virtualGpus(8, 'a5000') });
  const deployment = (id: string, gpuCount: number, labels: Record<string, string>): DeploymentRow => {
    const d = {
      id,
      name: id,
      modelName: 'm',
      engine: 'sim',
      engineParams: '',
      gpuType: 'a5000',
      gpuCount,
      replicas: 1,
      zone: 'local',
      status: 'ready',
      statusDetails: '',
      maxOngoingRequests: 8,
      maxQueuedRequests: 100,
      queueTimeoutMs: 1000,
      drainTimeoutMs: 1000,
      autoscale: null,
      labels,
      apiKeyHash: Buffer.alloc(32),
      apiKeySealed: 'x',
      generation: 1,
      everReady: true,
      deleting: false,
      createdAt: T0,
      updatedAt: T0,
    } satisfies DeploymentRow;
    store.insertDeployment(d);
    return d;
  };
  const replica = (id: string, deploymentId: string, startedAt: number | null): void =>
    store.insertReplica({
      id,
      deploymentId,
      state: startedAt === null ? 'pending' : 'starting',
      stateReason: '',
      gpus: startedAt === null ? [] : [0],
      pid: null,
      port: null,
      createdAt: T0,
      startedAt,
      readyAt: null,
      stoppedAt: null,
      coldStartMs: null,
      generation: 1,
      exitInfo: '',
    } satisfies Replica);
  const stop = (id: string, s: number) => store.updateReplica(id, { state: 'stopped', stoppedAt: at(s), gpus: [] });
  /** moves the clock to `s` and syncs the ledger, as the 1 s sampler would (here at irregular times) */
  const go = (s: number) => {
    clock.set(at(s));
    cost.sync();
  };
  return { clock, store, history, cost, deployment, replica, stop, go };
}

test('cost: GPU-seconds from replica start to stop, scale to zero and back, burn rate, by label, since', () => {
  const { store, history, cost, deployment, replica, stop, go } = setup();
  cost.setPrice('a5000', 2);
  deployment('chat', 2, { team: 'search' });
  replica('r1', 'chat', at(0));
  replica('r2', 'chat', null);
  go(0);
  go(60);
  store.updateReplica('r2', { state: 'starting', startedAt: at(60), gpus: [2, 3] });
  go(61);
  go(300);
  let r = cost.report();
  assert.equal(r.total.gpuSeconds, 300 * 2 + 240 * 2);
  assert.equal(r.total.burnRateUsdPerHour, 8, '4 GPUs at $2');
  assert.equal(r.total.gpusHeld, 4);

  go(630);
  stop('r1', 630);
  stop('r2', 630);
  go(631);
  go(2000);
  r = cost.report();
  const scaledToZero = 630 * 2 + 570 * 2;
  assert.equal(r.total.gpuSeconds, scaledToZero);
  assert.equal(r.total.burnRateUsdPerHour, 0, 'nothing held at zero replicas');
  go(2900);
  assert.equal(cost.report().total.gpuSeconds, scaledToZero, 'no accrual while at zero');

  deployment('embed', 1, { team: 'ads' });
  replica('r4', 'embed', at(1000));
  replica('r3', 'chat', at(3000));
  go(3600);
  r = cost.report();
  const chat = r.lines.find((l) => l.key === 'chat')!;
  assert.equal(chat.gpuSeconds, 3600);
  assert.equal(chat.costUsd, 2);
  assert.equal(chat.burnRateUsdPerHour, 4);
  const embed = r.lines.find((l) => l.key === 'embed')!;
  assert.equal(embed.gpuSeconds, 2600);
  assert.equal(embed.costUsd, Math.round((2600 / 3600) * 2 * 1e6) / 1e6);
  assert.equal(r.total.costUsd, Math.round((6200 / 3600) * 2 * 1e6) / 1e6);

  const byTeam = cost.report({ by: 'label:team' });
  assert.deepEqual(
    byTeam.lines.map((l) => [l.key, l.gpuSeconds, l.deployments]),
    [
      ['search', 3600, ['chat']],
      ['ads', 2600, ['embed']],
    ],
  );
  const recent = cost.report({ since: '30m' });
  assert.deepEqual(
    recent.lines.map((l) => [l.key, l.gpuSeconds]),
    [
      ['embed', 1800],
      ['chat', 1200],
    ],
  );
  assert.equal(recent.since, new Date(at(1800)).toISOString());

  // 1,000 requests and 50,000 tokens served by chat: $2 -> $2 per 1k requests, $40 per million tokens
  for (let s = 0; s < 100; s++) history.record('chat', { at: at(3000 + s), ongoing: 1, queued: 0, arrivals: 10, tokens: 500 });
  const per = cost.report().lines.find((l) => l.key === 'chat')!;
  assert.deepEqual([per.requests, per.tokens, per.costPer1kRequestsUsd, per.costPerMillionTokensUsd], [1000, 50_000, 2, 40]);
  assert.equal(cost.report().lines.find((l) => l.key === 'embed')!.costPer1kRequestsUsd, null);
});

test('cost survives pruning and deletion of the replica rows; a vanished open replica closes at its last sighting', () => {
  const { store, cost, deployment, replica, stop, go } = setup();
  deployment('gone', 1, {});
  replica('g1', 'gone', at(0));
  replica('g2', 'gone', at(0));
  go(100);
  stop('g1', 100);
  go(150);
  store.updateDeployment('gone', { deleting: true });
  store.deleteDeployment('gone'); // cascade: replica rows disappear with g2 still open in the ledger
  go(151);
  const r = cost.report();
  assert.equal(r.lines.length, 1);
  assert.equal(r.lines[0].key, 'gone');
  assert.equal(r.lines[0].deleted, true);
  assert.equal(r.lines[0].gpuSeconds, 100 + 150, 'g2 closed at the last sync that saw it (150 s)');
  assert.equal(r.lines[0].costUsd, Math.round((250 / 3600) * DEFAULT_VIRTUAL_USD_PER_GPU_HOUR * 1e6) / 1e6, 'virtual GPUs default to the nominal price');
  go(5000);
  assert.equal(cost.report().total.gpuSeconds, 250);
});

test('prices: virtual default, set, removed; bad input refused', () => {
  const { cost } = setup();
  assert.deepEqual(cost.prices(), [{ gpuType: 'a5000', usdPerGpuHour: DEFAULT_VIRTUAL_USD_PER_GPU_HOUR, source: 'default-virtual' }]);
  assert.deepEqual(cost.setPrice('h100', 3.5), [
    { gpuType: 'a5000', usdPerGpuHour: DEFAULT_VIRTUAL_USD_PER_GPU_HOUR, source: 'default-virtual' },
    { gpuType: 'h100', usdPerGpuHour: 3.5, source: 'set' },
  ]);
  cost.setPrice('h100', null);
  assert.equal(cost.price('h100').source, 'unset');
  assert.throws(() => cost.setPrice('h100', -1), /usdPerGpuHour: must be a number/);
  assert.throws(() => cost.setPrice('H 100', 1), /gpuType/);
  assert.throws(() => cost.report({ by: 'team' }), /by: must be/);
  assert.throws(() => cost.report({ since: 'yesterday-ish' }), /since: must be/);
});
