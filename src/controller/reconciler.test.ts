import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { deploymentRow } from '../test/rows.js';
import type { ExitInfo, ProbeResult, ProviderCapabilities, ReplicaHandle, ReplicaProvider } from '../providers/types.js';
import type { Replica } from '../domain/types.js';
import { Reconciler, type RouteSink } from './reconciler.js';

/** A provider whose replicas become healthy when the test says so; records every call. */
class ScriptedProvider implements ReplicaProvider {
  readonly capabilities: ProviderCapabilities = {
    placement: 'local-gpus',
    model: 'stored-file',
    engineKey: false,
    waitsForCapacity: false,
    defaultColdStartMs: 1000,
  };
  health = new Map<string, ProbeResult>();
  /** called as a replica is probed, to change the store behind the reconciler's back */
  onProbe?: (replicaId: string) => void;
  started: string[] = [];
  stopped: string[] = [];
  /** called as a replica is stopped, to look at what the gateway was told by then */
  onStop?: (replicaId: string) => void;
  private exit?: (i: ExitInfo) => void;
  async start(replicaId: string): Promise<ReplicaHandle> {
    this.started.push(replicaId);
    this.health.set(replicaId, 'starting');
    return { replicaId, pid: null, port: 1000 + this.started.length, url: '' };
  }
  async probe(h: ReplicaHandle): Promise<ProbeResult> {
    this.onProbe?.(h.replicaId);
    return this.health.get(h.replicaId) ?? 'gone';
  }
  async stop(h: ReplicaHandle): Promise<void> {
    this.stopped.push(h.replicaId);
    this.onStop?.(h.replicaId);
    this.health.set(h.replicaId, 'gone');
  }
  /** a restarted server adopts the replicas that still run */
  adopt(h: ReplicaHandle): boolean {
    const p = this.health.get(h.replicaId);
    return p !== undefined && p !== 'gone';
  }
  onExit(l: (i: ExitInfo) => void): void {
    this.exit = l;
  }
  crash(replicaId: string): void {
    this.health.set(replicaId, 'gone');
    this.exit?.({ replicaId, code: null, signal: 'SIGKILL' });
  }
  async logs(): Promise<string[]> {
    return [];
  }
  replicaUrl(r: { port: number | null }): string | undefined {
    return r.port === null ? undefined : `http://127.0.0.1:${r.port}`;
  }
  capacity(): number {
    return 4;
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
  inflightById = new Map<string, number>();
  synced: Replica[] = [];
  sync(_d: DeploymentRow, replicas: readonly Replica[]): void {
    this.synced = [...replicas];
  }
  remove(): void {}
  readmit(): void {}
  inflight(id: string): number {
    return this.inflightById.get(id) ?? 0;
  }
  ejected(): boolean {
    return false;
  }
}

function setup() {
  const clock = new FakeClock(1_000_000);
  const store = new Store(openDb(':memory:', SCHEMA));
  const provider = new ScriptedProvider();
  const routes = new Routes();
  /** a reconciler over the store (another one: a restarted server or the next leader, over the same rows) */
  const reconciler = () =>
    new Reconciler({ store, providers: new Map([['local', provider]]), clock, inventory: virtualGpus(4, 'a5000'), routes, log: () => {}, tickMs: 1_000_000 });
  const rec = reconciler();
  store.insertDeployment(deploymentRow());
  const states = () =>
    store
      .listReplicas('d1')
      .map((r) => r.state)
      .sort()
      .join(',');
  const scale = (n: number) => store.updateDeployment('d1', { replicas: n, updatedAt: clock.now() });
  return { clock, store, provider, routes, rec, reconciler, states, scale };
}

test('replica lifecycle under a fake clock: pending -> starting -> ready (cold start measured) -> draining -> stopped', async () => {
  const { clock, store, provider, routes, rec, states, scale } = setup();
  await rec.tick();
  assert.equal(states(), 'starting');
  const [id] = provider.started;
  clock.advance(4200);
  provider.health.set(id, 'ready');
  await rec.tick();
  const r = store.listReplicas('d1')[0];
  assert.equal(r.state, 'ready');
  assert.equal(r.coldStartMs, 4200);
  assert.deepEqual(r.gpus, [0, 1]);
  assert.equal(store.getDeployment('d1')!.status, 'ready');
  assert.deepEqual(
    routes.synced.map((x) => x.id),
    [id],
  );

  scale(0);
  routes.inflightById.set(id, 2);
  await rec.tick();
  assert.equal(states(), 'draining', 'in-flight requests hold the replica in draining');
  clock.advance(1000);
  await rec.tick();
  assert.equal(states(), 'draining');
  routes.inflightById.set(id, 0);
  await rec.tick();
  assert.equal(states(), 'stopped');
  assert.deepEqual(provider.stopped, [id]);
  assert.deepEqual(store.listReplicas('d1')[0].gpus, [], 'GPUs released');
  assert.equal(store.getDeployment('d1')!.status, 'stopped');
});

test('a replica scaled away with nothing in flight leaves rotation before it is stopped', async () => {
  const { provider, routes, rec, states, scale } = setup();
  await rec.tick();
  const [id] = provider.started;
  provider.health.set(id, 'ready');
  await rec.tick();
  assert.deepEqual(
    routes.synced.map((x) => [x.id, x.state]),
    [[id, 'ready']],
  );
  let seenAtStop: string[][] = [];
  provider.onStop = () => (seenAtStop = routes.synced.map((x) => [x.id, x.state]));
  scale(0);
  await rec.tick();
  assert.equal(states(), 'stopped', 'stopped in the same pass: nothing was in flight');
  assert.deepEqual(seenAtStop, [[id, 'draining']], 'the gateway knew it was draining before the engine got SIGTERM');
});

test('a drain that outlasts the drain timeout stops the replica anyway', async () => {
  const { clock, provider, routes, rec, states, scale } = setup();
  await rec.tick();
  provider.health.set(provider.started[0], 'ready');
  await rec.tick();
  scale(0);
  routes.inflightById.set(provider.started[0], 1);
  await rec.tick();
  clock.advance(5001);
  await rec.tick();
  assert.equal(states(), 'stopped');
});

test('short capacity leaves a replica pending with a reason; a crash is replaced after a backoff', async () => {
  const { clock, store, provider, rec, states, scale } = setup();
  scale(3);
  await rec.tick();
  assert.equal(states(), 'pending,starting,starting');
  const pending = store.listReplicas('d1').find((r) => r.state === 'pending')!;
  assert.equal(pending.stateReason, 'needs 2 x a5000, 0 free');
  scale(2);
  await rec.tick();
  provider.health.set(provider.started[0], 'ready');
  provider.health.set(provider.started[1], 'ready');
  await rec.tick();
  assert.equal(states(), 'ready,ready,stopped');
  provider.crash(provider.started[0]);
  await rec.tick();
  assert.equal(states(), 'failed,ready,stopped', 'replacement held back by the crash backoff');
  clock.advance(600);
  await rec.tick();
  assert.equal(states(), 'failed,ready,starting,stopped');
  assert.match(
    store
      .listEvents('d1')
      .map((e) => e.message)
      .join('\n'),
    /failed: process exited \(signal SIGKILL\); replacing it/,
  );
});

test("a restarted reconciler keeps a draining replica's drain start: the drain deadline is not reset", async () => {
  const { clock, store, provider, routes, rec, reconciler, states, scale } = setup();
  await rec.tick();
  const [id] = provider.started;
  provider.health.set(id, 'ready');
  await rec.tick();
  scale(0);
  routes.inflightById.set(id, 2);
  await rec.tick();
  assert.equal(states(), 'draining');
  const drainStartedAt = store.listReplicas('d1')[0].drainStartedAt;
  assert.equal(drainStartedAt, clock.now(), 'the drain start is in the row');
  clock.advance(3000);
  await rec.stop();

  const next = reconciler();
  next.start();
  await next.stop(); // only its adoption: passes are run by hand below
  assert.equal(store.listReplicas('d1')[0].drainStartedAt, drainStartedAt, 'adopted with its drain start');
  await next.tick();
  assert.equal(states(), 'draining', '3 s into a 5 s drain with requests in flight');
  clock.advance(2001);
  await next.tick();
  assert.equal(states(), 'stopped', "stopped at the deadline counted from the first server's drain start, not from the restart");
  assert.match(store.listReplicas('d1')[0].stateReason, /drain timeout with 2 in flight/);
});

test('the crash backoff is in the replica rows: a restarted reconciler holds the replacement back too', async () => {
  const { clock, store, provider, rec, reconciler, states } = setup();
  await rec.tick();
  provider.health.set(provider.started[0], 'ready');
  await rec.tick();
  provider.crash(provider.started[0]);
  const failed = store.listReplicas('d1')[0];
  assert.deepEqual([failed.failureStreak, failed.retryAt], [1, clock.now() + 500]);
  await rec.stop();
  const next = reconciler();
  await next.tick();
  assert.equal(states(), 'failed', 'held back by the backoff the first reconciler stored');
  clock.advance(500);
  await next.tick();
  assert.equal(states(), 'failed,starting');
  provider.crash(provider.started[1]);
  assert.equal(store.listReplicas('d1').find((r) => r.id === provider.started[1])!.failureStreak, 2, 'a second failure in a row doubles the wait');
  assert.equal(store.listReplicas('d1').find((r) => r.id === provider.started[1])!.retryAt, clock.now() + 1000);
});

test('an action runs only on the row it was planned from: a row changed meanwhile is skipped until the next pass', async () => {
  const { store, provider, rec, states } = setup();
  await rec.tick();
  const [id] = provider.started;
  provider.health.set(id, 'ready');
  provider.onProbe = () => store.updateReplica(id, { stateReason: 'changed behind the reconciler' });
  await rec.tick();
  assert.equal(states(), 'starting', 'the probe said ready, but the row changed while it was probed');
  provider.onProbe = undefined;
  await rec.tick();
  assert.equal(states(), 'ready');
});
