import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { engineDriver } from '../engines/registry.js';
import { SimulatedProvider } from '../providers/simulated/provider.js';
import { HEALTH_EVERY_MS, HealthProber } from './health-prober.js';

test('the prober checks a ready replica every HEALTH_EVERY_MS (at once when ejected) and counts failed checks in a row', async () => {
  const clock = new FakeClock(1_000_000);
  const provider = new SimulatedProvider({ clock, coldStartMs: 10_000 });
  const h = await provider.start('r1', 'chat', engineDriver('sim'), { modelName: 'm', engineParams: '', gpus: [], gpuCount: 1 });
  const prober = new HealthProber();
  const check = () => prober.check(provider, h, engineDriver('sim'), clock.now());
  assert.equal(prober.due('r1', clock.now(), false), true, 'never checked');
  assert.deepEqual(await check(), { probe: 'starting', failures: 1 });
  assert.equal(prober.due('r1', clock.now() + HEALTH_EVERY_MS - 1, false), false);
  assert.equal(prober.due('r1', clock.now() + 1, true), true, 'ejected by the gateway: checked at once');
  assert.equal(prober.due('r1', clock.now() + HEALTH_EVERY_MS, false), true);
  assert.deepEqual(await check(), { probe: 'starting', failures: 2 });
  clock.advance(10_000);
  assert.deepEqual(await check(), { probe: 'ready', failures: 0 }, 'a passed check ends the count');
  provider.crash('r1');
  assert.deepEqual(await check(), { probe: 'gone', failures: 1 });
  prober.forget('r1');
  assert.equal(prober.due('r1', clock.now(), false), true);
});
