/**
 * The ReplicaProvider contract (src/providers/types.ts) as one test suite, run against every provider:
 * each gives a harness that starts it, reopens it (a server restart) and ends replicas behind its back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineDriver, EngineLaunch } from '../../engines/types.js';
import type { ExitInfo, ReplicaHandle, ReplicaProvider, ReplicaTarget } from '../types.js';

export interface ProviderHarness {
  provider: ReplicaProvider;
  driver: EngineDriver;
  launch: Omit<EngineLaunch, 'port' | 'host'>;
  target?: ReplicaTarget;
  /** a new provider over the same replicas, as a restarted server has */
  reopen(): Promise<ReplicaProvider>;
  /** ends a replica behind the provider's back (kill -9, kubectl delete pod) */
  killExternally(h: ReplicaHandle): Promise<void>;
  close(): Promise<void>;
  /**
   * Deviations from the contract a provider still has, each asserted as it is so that fixing it shows:
   * reportsOwnStops: onExit also fires for replicas the provider stopped itself (callers must ignore those).
   */
  knownDeviations?: { reportsOwnStops?: boolean };
}

async function until<T>(cond: () => Promise<T | false | undefined> | T | false | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ready = (p: ReplicaProvider, h: ReplicaHandle, d: EngineDriver) => until(async () => (await p.probe(h, d)) === 'ready', `${h.replicaId} ready`);

export function providerContract(name: string, make: () => Promise<ProviderHarness>): void {
  describe(`ReplicaProvider contract: ${name}`, () => {
    it('start returns a handle once launched; probe turns ready and the engine answers where the gateway routes', async () => {
      const t = await make();
      try {
        const h = await t.provider.start('ct-start-1', 'ct', t.driver, t.launch, t.target);
        assert.equal(h.replicaId, 'ct-start-1');
        assert.ok(h.port > 0);
        await ready(t.provider, h, t.driver);
        // the provider says where (a pod's IP follows its replica; a process is at its port)
        const url = t.provider.replicaUrl({ replicaId: h.replicaId, port: h.port });
        assert.ok(url, 'a ready replica has an address');
        const res = await fetch(url + t.driver.healthPath);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        await t.provider.stop(h, 2000);
      } finally {
        await t.close();
      }
    });

    it('says what it can do as data, and answers trivially where it has nothing to do', async () => {
      const t = await make();
      try {
        const c = t.provider.capabilities;
        assert.ok(['local-gpus', 'platform'].includes(c.placement));
        assert.ok(['stored-file', 'fetched-by-replica'].includes(c.model));
        assert.ok(Number.isInteger(c.defaultColdStartMs) && c.defaultColdStartMs > 0);
        assert.equal(t.provider.capacity('no-such-gpu'), 0);
        assert.equal(t.provider.replicaUrl({ replicaId: 'ct-nobody', port: null }), undefined);
        const bogus: ReplicaHandle = { replicaId: 'ct-nobody', pid: null, port: 1, url: '' };
        assert.equal(t.provider.waitingForCapacity(bogus), false);
        assert.equal(t.provider.describe(bogus), undefined);
        await t.provider.removeDeployment('ct-nobody');
        if (t.target) {
          assert.equal(t.provider.gpuTypeFor(t.target.gpuType, 'sim'), t.target.gpuType);
          assert.ok(t.provider.capacity(t.target.gpuType) > 0);
        }
      } finally {
        await t.close();
      }
    });

    it('probe never throws: an unknown replica is gone', async () => {
      const t = await make();
      try {
        const bogus: ReplicaHandle = { replicaId: 'ct-nobody', pid: null, port: 1, url: 'http://127.0.0.1:1' };
        assert.equal(await t.provider.probe(bogus, t.driver), 'gone');
      } finally {
        await t.close();
      }
    });

    it('stop is idempotent: the replica is gone after it, stopping again or stopping an unknown replica resolves, no exit is reported', async () => {
      const t = await make();
      const exits: ExitInfo[] = [];
      t.provider.onExit((e) => exits.push(e));
      try {
        const h = await t.provider.start('ct-stop-1', 'ct', t.driver, t.launch, t.target);
        await ready(t.provider, h, t.driver);
        await t.provider.stop(h, 2000);
        assert.equal(await t.provider.probe(h, t.driver), 'gone');
        await t.provider.stop(h, 2000);
        await t.provider.stop({ replicaId: 'ct-nobody', pid: null, port: 1, url: 'http://127.0.0.1:1' }, 100);
        await new Promise((r) => setTimeout(r, 100));
        const own = exits.filter((e) => e.replicaId === 'ct-stop-1');
        if (t.knownDeviations?.reportsOwnStops) assert.ok(own.length <= 1, 'known deviation: at most one exit for its own stop');
        else assert.deepEqual(own, []);
      } finally {
        await t.close();
      }
    });

    it("onExit reports, once, a replica that ended behind the provider's back", async () => {
      const t = await make();
      const exits: ExitInfo[] = [];
      t.provider.onExit((e) => exits.push(e));
      try {
        const h = await t.provider.start('ct-exit-1', 'ct', t.driver, t.launch, t.target);
        await ready(t.provider, h, t.driver);
        await t.killExternally(h);
        // a provider that learns of exits by watching or polling (Kubernetes) may take a while on a loaded machine
        await until(() => exits.length > 0, 'exit reported', 30_000);
        assert.equal(exits[0].replicaId, 'ct-exit-1');
        await until(async () => (await t.provider.probe(h, t.driver)) === 'gone', 'gone');
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(exits.length, 1);
      } finally {
        await t.close();
      }
    });

    it('adopt: a restarted server adopts a replica that still runs and refuses one that is gone', async () => {
      const t = await make();
      try {
        const h = await t.provider.start('ct-adopt-1', 'ct', t.driver, t.launch, t.target);
        const gone = await t.provider.start('ct-adopt-2', 'ct', t.driver, t.launch, t.target);
        await ready(t.provider, h, t.driver);
        await ready(t.provider, gone, t.driver);
        await t.provider.stop(gone, 2000);
        const next = await t.reopen();
        assert.equal(next.adopt(h), true);
        assert.equal(next.adopt(gone), false);
        await ready(next, h, t.driver);
        const lines = await next.logs('ct', h.replicaId, 5);
        assert.ok(Array.isArray(lines) && lines.every((l) => typeof l === 'string'));
        await next.stop(h, 2000);
        assert.equal(await next.probe(h, t.driver), 'gone');
      } finally {
        await t.close();
      }
    });
  });
}
