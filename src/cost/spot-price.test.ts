import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryStore } from '../history/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { inProcessService } from '../service/testkit.js';
import { CostService } from './service.js';
import { checkSpotPrice, priceOn, savingPerGpuHour } from './spot-price.js';

test('a spot replica pays the spot price when one is set, else the on-demand price', () => {
  assert.equal(priceOn({ usdPerGpuHour: 0.8, spotUsdPerGpuHour: 0.36 }, 'spot'), 0.36);
  assert.equal(priceOn({ usdPerGpuHour: 0.8, spotUsdPerGpuHour: 0.36 }, 'on-demand'), 0.8);
  assert.equal(priceOn({ usdPerGpuHour: 0.8 }, 'spot'), 0.8);
  assert.equal(savingPerGpuHour({ usdPerGpuHour: 0.8, spotUsdPerGpuHour: 0.3 }, 'spot'), 0.5);
  assert.equal(savingPerGpuHour({ usdPerGpuHour: 0.8, spotUsdPerGpuHour: 0.3 }, undefined), 0);
  assert.throws(
    () => checkSpotPrice('l4', 0.8, 0.81),
    (e: { details: { reason: string } }) => e.details.reason === 'spot_above_on_demand',
  );
  assert.throws(() => checkSpotPrice('l4', 0.8, -1), /spotUsdPerGpuHour: must be a number/);
  assert.doesNotThrow(() => checkSpotPrice('l4', 0.8, 0.8));
});

/** Two replicas of one deployment, one hour each: r-od on on-demand, r-spot on spot (recorded by the capacity store). */
function setup() {
  const { clock, store, deployments } = inProcessService(8);
  const cost = new CostService({ store, history: new HistoryStore(store.db), clock, inventory: virtualGpus(8, 'a5000') });
  const d = deployments.create({ name: 'chat', modelName: 'm', replicas: 0 });
  const t0 = clock.now();
  for (const id of ['r-od', 'r-spot'])
    store.insertReplica({
      id,
      deploymentId: d.id,
      state: 'ready',
      stateReason: '',
      gpus: [0],
      pid: null,
      port: null,
      createdAt: t0,
      startedAt: t0,
      readyAt: t0,
      stoppedAt: null,
      coldStartMs: null,
      generation: 1,
      exitInfo: '',
    });
  deployments.capacity.setReplica('r-spot', d.id, 'spot');
  cost.sync(t0);
  clock.set(t0 + 3_600_000);
  return { cost };
}

test('the ledger charges each replica at its capacity type and the report says the spot savings', () => {
  const { cost } = setup();
  cost.setPrice('a5000', 2, 0.5);
  const r = cost.report();
  assert.equal(r.total.costUsd, 2.5);
  assert.equal(r.total.spotGpuHours, 1);
  assert.equal(r.total.spotSavingsUsd, 1.5);
  assert.equal(r.lines[0].spotSavingsUsd, 1.5);
  assert.deepEqual(r.prices[0], { gpuType: 'a5000', usdPerGpuHour: 2, source: 'set', spotUsdPerGpuHour: 0.5 });
});

test('a spot price above on-demand, or an on-demand price cut below the spot price, is refused and changes nothing', () => {
  const { cost } = setup();
  cost.setPrice('a5000', 2, 0.5);
  assert.throws(() => cost.setPrice('a5000', 2, 2.5), /above its on-demand price/);
  assert.throws(() => cost.setPrice('a5000', 0.4), /spot price of a5000 \(\$0.5\) is above its on-demand price \(\$0.4\)/);
  assert.deepEqual(cost.prices()[0], { gpuType: 'a5000', usdPerGpuHour: 2, source: 'set', spotUsdPerGpuHour: 0.5 });
  // without a spot price the spot replica is charged on-demand: no savings
  cost.setPrice('a5000', 2, null);
  assert.equal(cost.report().total.costUsd, 4);
  assert.equal(cost.report().total.spotSavingsUsd, 0);
});
