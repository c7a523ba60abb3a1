import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { deploymentRow } from '../test/rows.js';
import { buildAutoscaleSpec } from '../autoscaler/spec.js';
import type { ExitInfo, ProbeResult, ProviderCapabilities, ReplicaHandle, ReplicaProvider, SleepHint, SleepResult } from '../providers/types.js';
import { Reconciler, type RouteSink } from './reconciler.js';

const GiB = 2 ** 30;

/** A provider whose replicas sleep and wake when the test says; records every call. */
class SleepingProvider implements ReplicaProvider {
  readonly capabilities: ProviderCapabilities = {
    placement: 'local-gpus',
    model: 'stored-file',
    engineKey: false,
    waitsForCapacity: false,
    defaultColdStartMs: 1000,
    sleep: true,
  };
  health = new Map<string, ProbeResult>();
  started: string[] = [];
  stopped: string[] = [];
  slept: string[] = [];
  woken: string[] = [];
  ramBytes = 10 * GiB;
  refuseSleep = false;
  private wakes = new Map<string, () => void>();
  async start(replicaId: string): Promise<ReplicaHandle> {
    this.started.push(replicaId);
    this.health.set(replicaId, 'starting');
    return { replicaId, pid: null, port: 1000 + this.started.length, url: '' };
  }
  async probe(h: ReplicaHandle): Promise<ProbeResult> {
    return this.health.get(h.replicaId) ?? 'gone';
  }
  async stop(h: ReplicaHandle): Promise<void> {
    this.stopped.push(h.replicaId);
    this.health.set(h.replicaId, 'gone');
  }
  hints: (SleepHint | undefined)[] = [];
  /** what its sleep answers, as a provider that estimated it would */
  sleepResult: () => SleepResult = () => ({ hostRamBytes: this.ramBytes, hostRamFrom: 'engine' });
  async sleep(h: ReplicaHandle, _driver: unknown, _key?: string, hint?: SleepHint): Promise<SleepResult> {
    if (this.refuseSleep) throw new Error('engine refused: 404');
    this.slept.push(h.replicaId);
    this.hints.push(hint);
    return this.sleepResult();
  }
  wake(h: ReplicaHandle): Promise<void> {
    this.woken.push(h.replicaId);
    return new Promise((resolve) => this.wakes.set(h.replicaId, resolve));
  }
  /** the engine finished waking */
  awake(id: string): void {
    this.wakes.get(id)!();
  }
  adopt(): boolean {
    return true;
  }
  onExit(_l: (i: ExitInfo) => void): void {}
  async logs(): Promise<string[]> {
    return [];
  }
  replicaUrl(r: { port: number | null }): string | undefined {
    return r.port === null ? undefined : `http://127.0.0.1:${r.port}`;
  }
  capacity(): number {
    return 2;
  }
  gpuTypeFor(requested: string | undefined): string {
    return requested ?? 'a5000';
  }
  describe(): string | undefined {
    return undefined;
  }
  waitingForCapacity(): boolean {
    return false;
  }
  async removeDeployment(): Promise<void> {}
}

class Routes implements RouteSink {
  sleeping = new Map<string, number>();
  sync(d: { id: string }, _r: unknown, _coming?: number, sleeping?: number): void {
    this.sleeping.set(d.id, sleeping ?? 0);
  }
  remove(): void {}
  readmit(): void {}
  inflight(): number {
    return 0;
  }
  ejected(): boolean {
    return false;
  }
}

const sleepy = buildAutoscaleSpec({ minReplicas: 0, idle: 'sleep' });

function setup(o: { sleepRamBytes?: number; gpuMemoryMb?: number; modelPath?: string } = {}) {
  const clock = new FakeClock(1_000_000);
  const store = new Store(openDb(':memory:', SCHEMA));
  const provider = new SleepingProvider();
  const routes = new Routes();
  const rec = new Reconciler({
    store,
    providers: new Map([['local', provider]]),
    clock,
    inventory: virtualGpus(2, 'a5000', o.gpuMemoryMb),
    modelPath: () => o.modelPath,
    routes,
    log: () => {},
    tickMs: 1_000_000,
    sleepRamBytes: o.sleepRamBytes,
  });
  const scale = (id: string, n: number) => store.updateDeployment(id, { replicas: n, updatedAt: clock.now() });
  const row = (id: string) => store.listReplicas(id).find((r) => r.state !== 'stopped' && r.state !== 'failed');
  /** starts `id`'s replica and makes it ready */
  const ready = async (id: string) => {
    await rec.tick();
    provider.health.set(row(id)!.id, 'ready');
    await rec.tick();
    assert.equal(row(id)!.state, 'ready');
    return row(id)!.id;
  };
  return { clock, store, provider, routes, rec, scale, row, ready };
}

test('idle by sleep: a drained replica sleeps, holds no GPU, and a scale up wakes it (measured) instead of starting a new one', async () => {
  const { clock, store, provider, routes, rec, scale, row, ready } = setup();
  store.insertDeployment(deploymentRow({ id: 'd1', name: 'chat', gpuCount: 1, autoscale: sleepy }));
  const id = await ready('d1');
  scale('d1', 0);
  await rec.tick();
  await rec.tick();
  assert.equal(row('d1')!.state, 'sleeping');
  assert.deepEqual(provider.slept, [id]);
  assert.deepEqual(provider.stopped, []);
  assert.deepEqual(row('d1')!.gpus, [0], 'the row keeps the GPU its process is bound to');
  assert.deepEqual(
    store.listLiveReplicas().flatMap((r) => r.gpus),
    [],
    'but placement sees it free',
  );
  assert.equal(row('d1')!.sleepRamBytes, 10 * GiB);
  assert.equal(routes.sleeping.get('d1'), 1, 'the gateway is told one replica sleeps');
  assert.match(store.getDeployment('d1')!.statusDetails, /1 asleep/);

  clock.advance(60_000);
  scale('d1', 1);
  await rec.tick();
  assert.deepEqual(provider.woken, [id]);
  assert.equal(provider.started.length, 1, 'no new replica started');
  assert.deepEqual([row('d1')!.state, row('d1')!.stateReason], ['starting', 'waking from sleep']);
  clock.advance(1500);
  provider.awake(id);
  await new Promise((r) => setImmediate(r));
  assert.equal(row('d1')!.state, 'ready');
  assert.equal(row('d1')!.wakeMs, 1500);
  assert.equal(row('d1')!.id, id);
});

test('a replica that fits elsewhere leaves a sleeper its GPU, and the sleeper wakes there', async () => {
  const { store, provider, rec, scale, row, ready } = setup();
  store.insertDeployment(deploymentRow({ id: 'd1', name: 'chat', gpuCount: 1, autoscale: sleepy }));
  const id = await ready('d1');
  scale('d1', 0);
  await rec.tick();
  await rec.tick();
  assert.deepEqual([row('d1')!.state, row('d1')!.gpus], ['sleeping', [0]]);
  store.insertDeployment(deploymentRow({ id: 'd2', name: 'other', gpuCount: 1 }));
  await ready('d2');
  assert.deepEqual(row('d2')!.gpus, [1], 'the GPU no sleeper is bound to');
  scale('d1', 1);
  await rec.tick();
  assert.deepEqual(provider.woken, [id]);
  assert.deepEqual(provider.stopped, []);
});

test('a replica whose only room is a sleeper GPU stops that sleeper first (an event naming the replica) and is placed', async () => {
  const { clock, store, provider, rec, scale, row, ready } = setup();
  store.insertDeployment(deploymentRow({ id: 'd1', name: 'chat', gpuCount: 1, autoscale: sleepy }));
  const id = await ready('d1');
  scale('d1', 0);
  await rec.tick();
  await rec.tick();
  assert.equal(row('d1')!.state, 'sleeping');
  clock.advance(30_000);
  store.insertDeployment(deploymentRow({ id: 'd2', name: 'big', gpuCount: 2 }));
  const big = await ready('d2');
  assert.deepEqual(row('d2')!.gpus, [0, 1], 'placed in the same pass, not left pending');
  assert.deepEqual(provider.stopped, [id], 'the sleeper stopped before the 2-GPU replica started');
  const stopped = store.listReplicas('d1').find((r) => r.id === id)!;
  assert.equal(stopped.state, 'stopped');
  assert.match(stopped.stateReason, new RegExp(`its room was needed to place replica ${big} of big: .*${id} \\(asleep 30 s\\)`));
  const events = store.listEvents('d2').map((e) => e.message);
  assert.ok(
    events.some((m) => m.includes(`after stopping sleeping ${id} for room`)),
    events.join('\n'),
  );
  // the deployment that slept comes back by a cold start, pending like any new replica while the GPUs are taken
  scale('d1', 1);
  await rec.tick();
  assert.deepEqual(provider.woken, []);
  assert.notEqual(row('d1')!.id, id);
  assert.equal(row('d1')!.state, 'pending');
});

test('host RAM over the budget stops the least recently slept sleeper; a refused sleep stops the replica', async () => {
  const { clock, store, provider, rec, scale, row } = setup({ sleepRamBytes: 15 * GiB });
  store.insertDeployment(deploymentRow({ id: 'd1', name: 'a', gpuCount: 1, autoscale: sleepy }));
  store.insertDeployment(deploymentRow({ id: 'd2', name: 'b', gpuCount: 1, autoscale: sleepy }));
  await rec.tick();
  for (const r of store.listReplicas('d1').concat(store.listReplicas('d2'))) provider.health.set(r.id, 'ready');
  await rec.tick();
  const a = row('d1')!.id;
  const b = row('d2')!.id;
  scale('d1', 0);
  await rec.tick();
  await rec.tick();
  clock.advance(1000);
  scale('d2', 0);
  await rec.tick();
  await rec.tick();
  assert.equal(row('d2')!.state, 'sleeping');
  assert.equal(row('d1'), undefined, 'the older sleeper stopped');
  assert.match(store.listReplicas('d1')[0].stateReason, /host RAM for sleeping replicas over the budget/);
  assert.deepEqual(provider.stopped, [a]);

  provider.refuseSleep = true;
  scale('d2', 1);
  await rec.tick();
  provider.awake(b);
  await new Promise((r) => setImmediate(r));
  assert.equal(row('d2')!.state, 'ready');
  scale('d2', 0);
  await rec.tick();
  await rec.tick();
  assert.equal(row('d2'), undefined);
  assert.equal(store.listReplicas('d2')[0].state, 'stopped');
});

test('the provider is told what to estimate host RAM from (stored model, GPU memory held), and the event says where the figure came from', async () => {
  const { store, provider, rec, scale, row, ready } = setup({ gpuMemoryMb: 24 * 1024, modelPath: '/models/m/repo' });
  store.insertDeployment(deploymentRow({ id: 'd1', name: 'chat', gpuCount: 1, autoscale: sleepy }));
  const id = await ready('d1');
  provider.sleepResult = () => ({ hostRamBytes: 24 * GiB, hostRamFrom: 'gpu-memory' });
  scale('d1', 0);
  await rec.tick();
  await rec.tick();
  assert.equal(row('d1')!.state, 'sleeping');
  assert.deepEqual(provider.hints, [{ modelPath: '/models/m/repo', gpuMemoryBytes: 24 * GiB }]);
  assert.equal(row('d1')!.sleepRamBytes, 24 * GiB);
  const said = store
    .listEvents('d1')
    .map((e) => e.message)
    .find((m) => m.includes(`replica ${id} asleep`));
  assert.match(said ?? '', /24\.0 GiB of host RAM, at most: estimated from the GPU memory it held/);
});

test('a sleeper of an older generation is stopped, not woken, when its deployment scales up after a change', async () => {
  const { clock, store, provider, rec, scale, row, ready } = setup();
  store.insertDeployment(deploymentRow({ id: 'd1', name: 'chat', gpuCount: 1, autoscale: sleepy }));
  const id = await ready('d1');
  scale('d1', 0);
  await rec.tick();
  await rec.tick();
  assert.equal(row('d1')!.state, 'sleeping');
  store.updateDeployment('d1', { generation: 2, replicas: 1, updatedAt: clock.now() });
  await rec.tick();
  assert.deepEqual(provider.woken, []);
  assert.deepEqual(provider.stopped, [id]);
  assert.match(store.listReplicas('d1').find((r) => r.id === id)!.stateReason, /engine parameters changed/);
  assert.notEqual(row('d1')!.id, id);
  assert.equal(row('d1')!.generation, 2);
});
