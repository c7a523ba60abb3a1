import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as settle } from 'node:timers/promises';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import type { Replica } from '../domain/types.js';
import type { LoadSample } from '../autoscaler/types.js';
import { HistorySampler, replicaCounts } from './sampler.js';
import { HistoryStore } from './store.js';
import { emptyWindow } from '../gateway/window-stats.js';

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const rep = (state: Replica['state'], gpus: number[]): Replica => ({
  id: `${state}-${gpus.join('')}`,
  deploymentId: 'd1',
  state,
  stateReason: '',
  gpus,
  pid: null,
  port: null,
  createdAt: 0,
  startedAt: 0,
  readyAt: null,
  stoppedAt: null,
  coldStartMs: null,
  generation: 1,
  exitInfo: '',
});

test('replicaCounts: pending and starting are on their way; draining still holds GPUs; stopped holds none', () => {
  const rs = [rep('ready', [0, 1]), rep('starting', [2, 3]), rep('pending', []), rep('draining', [4, 5]), rep('stopped', []), rep('failed', [])];
  assert.deepEqual(replicaCounts(rs), { ready: 1, starting: 2, gpus: 6 });
});

test('the sampler reads the gateway and the store once per clock second and feeds history and subscribers', async () => {
  const clock = new FakeClock(T0);
  const history = new HistoryStore(openDb(':memory:', SCHEMA));
  const route = { stats: { ...emptyWindow(), lastActivityAt: 0 }, admission: { ongoing: 3, queued: 1 } };
  const deployment = { id: 'd1', name: 'chat', replicas: 2, deleting: false };
  let tokens = 0;
  const sampler = new HistorySampler({
    clock,
    history,
    store: { listDeployments: () => [deployment] as any, listReplicas: () => [rep('ready', [0]), rep('starting', [1])] },
    routes: { getById: (id: string) => (id === 'd1' ? (route as any) : undefined) },
    tokens: async () => new Map([['chat', tokens]]),
  });
  const seen: LoadSample[] = [];
  const ticks: number[] = [];
  sampler.onSample((id, s) => seen.push(s));
  sampler.onTick((now) => ticks.push(now));
  sampler.start();
  for (let s = 1; s <= 3; s++) {
    route.stats.arrivals += 5;
    route.stats.ttftMs.push(40 * s);
    tokens += 100;
    clock.advance(1000);
    await settle();
    await settle();
  }
  assert.deepEqual(ticks, [T0 + 1000, T0 + 2000, T0 + 3000]);
  assert.deepEqual(
    seen.map((s) => [s.at, s.arrivals, s.ongoing, s.queued, s.ttftP95Ms]),
    [
      [T0 + 1000, 5, 3, 1, 40],
      [T0 + 2000, 5, 3, 1, 80],
      [T0 + 3000, 5, 3, 1, 120],
    ],
  );
  const pts = history.series('d1', T0, T0 + 3000).points;
  assert.equal(pts.length, 3);
  assert.deepEqual(
    { rate: pts[2].requestRate, tps: pts[2].tokensPerSecond, desired: pts[2].desired, ready: pts[2].ready, starting: pts[2].starting, gpus: pts[2].gpus },
    { rate: 5, tps: 100, desired: 2, ready: 1, starting: 1, gpus: 2 },
  );
  // a late tick: the interval is measured, so rates stay per second
  route.stats.arrivals += 10;
  clock.set(T0 + 5000);
  await sampler.tick();
  assert.equal(history.latest('d1')!.requestRate, 5);
  await sampler.stop();
  clock.advance(5000);
  await settle();
  assert.equal(ticks.length, 4, 'no tick after stop');
});
