// Leader election on the fake API over HTTP (real client library), on a fake clock. Verified only against the fake.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { KubeClient, apiStatus } from '../providers/kubernetes/client.js';
import { LeaderElector } from './lease.js';
import { startFakeKube, type FakeKube } from '../providers/kubernetes/testkit.js';

describe('leader election through a Lease', () => {
  let k: FakeKube;
  let client: KubeClient;
  const clock = new FakeClock(Date.parse('2025-06-01T00:00:00Z'));
  before(async () => {
    k = await startFakeKube();
    client = new KubeClient(k.kc, k.namespace);
  });
  after(() => k.close());
  const elector = (identity: string, name = 'inferscale-controller', events: string[] = []) =>
    new LeaderElector({
      client,
      name,
      identity,
      clock,
      log: () => undefined,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
    });

  it("one candidate leads; the lease hands over when the leader stops renewing, after the lease duration on the follower's clock", async () => {
    const events: string[] = [];
    const a = elector('gw-a', 'inferscale-controller', events);
    const b = elector('gw-b', 'inferscale-controller', events);
    assert.equal(await a.step(), true);
    assert.equal(await b.step(), false);
    assert.equal(b.holder, 'gw-a');
    clock.advance(2_000);
    assert.equal(await a.step(), true, 'renews');
    clock.advance(10_000);
    assert.equal(await b.step(), false, 'a renewed 10 s ago: not expired');
    // gw-a stops (crash, partition): no more renewals
    clock.advance(14_000);
    assert.equal(await b.step(), false, 'b saw the last renewal 14 s ago');
    clock.advance(2_000);
    assert.equal(await b.step(), true, 'expired: b takes over');
    const lease = k.cluster.get('leases', k.namespace, 'inferscale-controller');
    assert.equal(lease.spec.holderIdentity, 'gw-b');
    assert.equal(lease.spec.leaseTransitions, 1);
    assert.equal(await a.step(), false, 'the old leader sees it lost the lease');
    assert.deepEqual(events, ['gw-a leads', 'gw-b leads', 'gw-a stops']);
  });

  it('a leader that stops releases the lease: the next candidate takes over at once', async () => {
    const a = elector('gw-a', 'release-test');
    const b = elector('gw-b', 'release-test');
    assert.equal(await a.step(), true);
    assert.equal(await b.step(), false);
    await a.stop();
    assert.equal(a.isLeader, false);
    assert.equal(await b.step(), true);
  });

  it('of two candidates racing for a free lease exactly one wins (resourceVersion)', async () => {
    const results = await Promise.all([elector('c1', 'race').step(), elector('c2', 'race').step(), elector('c3', 'race').step()]);
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('a leader that cannot reach the API keeps leading only until the renew deadline', async () => {
    const a = elector('gw-a', 'deadline');
    assert.equal(await a.step(), true);
    clock.advance(5_000);
    k.server.failNext('GET', /\/leases\/deadline$/, 500);
    assert.equal(await a.step(), true, '5 s since the last renewal: still leading');
    clock.advance(6_000);
    k.server.failNext('GET', /\/leases\/deadline$/, 500);
    assert.equal(await a.step(), false, '11 s > renew deadline: steps down before anyone may take over at 15 s');
  });

  it("writes MicroTime with six fractional digits (the API server refuses a plain Date's three)", async () => {
    const lease = k.cluster.get('leases', k.namespace, 'inferscale-controller');
    assert.match(lease.spec.renewTime, /\.\d{6}Z$/);
    await assert.rejects(
      client.coordination.createNamespacedLease({
        namespace: k.namespace,
        body: { metadata: { name: 'plain-date' }, spec: { holderIdentity: 'x', renewTime: new Date() as never } },
      }),
      (e) => apiStatus(e) === 400,
    );
  });
});
