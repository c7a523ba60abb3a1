import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { HistoryStore } from '../history/store.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { setGpuMemory } from '../placement/memory-column.js';
import { CostService } from './service.js';
import { costTable } from './cli.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

test('a fractional replica is charged its share of the GPU, and the report says so', () => {
  const clock = new FakeClock(T0);
  const store = new Store(openDb(':memory:', SCHEMA));
  const cost = new CostService({ store, history: new HistoryStore(store.db), clock, inventory: virtualGpus(4, 'a100', 40 * 1024) });
  cost.setPrice('a100', 4);
  const base = {
    modelName: 'm',
    engine: 'sim',
    engineParams: '',
    gpuType: 'a100',
    replicas: 1,
    zone: 'local',
    status: 'ready',
    statusDetails: '',
    maxOngoingRequests: 8,
    maxQueuedRequests: 100,
    queueTimeoutMs: 1000,
    drainTimeoutMs: 1000,
    autoscale: null,
    labels: {},
    apiKeyHash: Buffer.alloc(32),
    apiKeySealed: 'x',
    generation: 1,
    everReady: true,
    deleting: false,
    createdAt: T0,
    updatedAt: T0,
  } as const;
  const deploy = (id: string, gpuCount: number, memoryMb?: number) => {
    store.insertDeployment({ ...base, id, name: id, gpuCount } satisfies DeploymentRow);
    if (memoryMb) setGpuMemory(store.db, id, memoryMb);
    store.insertReplica({
      id: `${id}-r`,
      deploymentId: id,
      state: 'ready',
      stateReason: '',
      gpus: [0],
      pid: null,
      port: null,
      createdAt: T0,
      startedAt: T0,
      readyAt: T0,
      stoppedAt: null,
      coldStartMs: null,
      generation: 1,
      exitInfo: '',
    });
  };
  deploy('small', 1, 10 * 1024);
  deploy('whole', 1);
  cost.sync();
  clock.set(T0 + 3600_000);
  const r = cost.report();
  const by = new Map(r.lines.map((l) => [l.key, l]));
  assert.equal(by.get('small')!.gpuHours, 0.25, '10Gi of a 40Gi GPU for an hour');
  assert.equal(by.get('small')!.costUsd, 1);
  assert.equal(by.get('whole')!.gpuHours, 1);
  assert.equal(r.total.burnRateUsdPerHour, 5);
  assert.deepEqual(r.shares, [{ deployment: 'small', gpus: 0.25 }]);
  assert.match(costTable(r), /small: each replica is charged 0\.25 of a GPU \(its share of the GPU's memory\)/);
});
