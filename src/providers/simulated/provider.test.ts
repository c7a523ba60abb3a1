import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.js';
import { engineDriver } from '../../engines/registry.js';
import type { ExitInfo, ReplicaProvider } from '../types.js';
import { SimulatedProvider } from './provider.js';

const launch = { modelName: 'm', engineParams: '', gpus: [], gpuCount: 1 };

test('a simulated replica is starting until its cold start passed on the injected clock, then ready; a crash is reported once', async () => {
  const clock = new FakeClock(1_000_000);
  const p = new SimulatedProvider({ clock, coldStartMs: (id) => (id === 'slow' ? 90_000 : 20_000), gpuTypes: { h100: { maxGpus: 16 }, l4: {} } });
  const api: ReplicaProvider = p; // called as the reconciler calls it
  const exits: ExitInfo[] = [];
  p.onExit((e) => exits.push(e));
  const fast = await api.start('fast', 'chat', engineDriver('sim'), launch);
  const slow = await api.start('slow', 'chat', engineDriver('sim'), launch);
  assert.equal(await api.probe(fast, engineDriver('sim')), 'starting');
  assert.equal(p.describe(fast), 'simulated cold start: ready in 20 s');
  clock.advance(20_000);
  assert.deepEqual([await api.probe(fast, engineDriver('sim')), await api.probe(slow, engineDriver('sim'))], ['ready', 'starting']);
  assert.equal(p.replicaUrl({ replicaId: 'fast', port: fast.port }), undefined, 'no engine URL: no address');
  assert.match((await api.logs('chat', 'fast', 10)).join('\n'), /starting \(cold start 20000 ms\)\n.*ready/);
  p.crash('slow');
  p.crash('slow');
  assert.deepEqual(exits, [{ replicaId: 'slow', code: null, signal: 'SIGKILL' }]);
  assert.equal(await api.probe(slow, engineDriver('sim')), 'gone');
  await p.removeDeployment('chat');
  assert.equal(await api.probe(fast, engineDriver('sim')), 'gone');
  assert.deepEqual(exits.length, 1, 'removing a deployment is no crash');
  assert.deepEqual([p.capacity('h100'), p.capacity('l4') > 1000, p.capacity('a100')], [16, true, 0]);
  assert.throws(() => api.gpuTypeFor(undefined, 'sim'), /gpuType: is required in this simulated zone, which has h100, l4/);
  assert.throws(
    () => api.gpuTypeFor('a100', 'sim'),
    (e: Error & { code?: string }) => e.code === 'insufficient_capacity',
  );
});
