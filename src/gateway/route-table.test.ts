import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { RouteTable } from './route-table.js';
import { hashKey } from '../security/secrets.js';
import type { DeploymentRow } from '../store/store.js';
import type { Replica } from '../domain/types.js';

const dep = {
  id: 'd1',
  name: 'chat',
  apiKeyHash: Buffer.alloc(32),
  status: 'ready',
  autoscale: null,
  deleting: false,
  replicas: 1,
  maxOngoingRequests: 4,
  maxQueuedRequests: 10,
  queueTimeoutMs: 1000,
} as unknown as DeploymentRow;
const rep = (id: string, state: Replica['state']) => ({ id, state, port: 1 }) as Replica;

test('a replica that fails repeatedly leaves rotation until its health check passes again', async () => {
  const t = new RouteTable(new FakeClock());
  t.sync(dep, [rep('r1', 'ready')]);
  const r = t.get('chat')!.replicas.get('r1')!;
  assert.equal(r.routable, true);
  r.recordFailure();
  r.recordFailure();
  assert.equal(r.routable, true, 'two failures are not enough');
  r.recordFailure();
  assert.equal(r.routable, false);
  assert.equal(t.ejected('r1'), true);
  t.sync(dep, [rep('r1', 'ready')]);
  assert.equal(r.routable, false, 'a sync does not readmit an ejected replica');
  t.readmit('r1');
  assert.equal(r.routable, true);
  t.sync(dep, [rep('r1', 'draining')]);
  assert.equal(r.routable, false, 'a draining replica takes no new requests');
  t.sync(dep, []);
  assert.equal(t.get('chat')!.replicas.size, 0);
  await t.close();
});

test('a PATCH of maxOngoingRequests, maxQueuedRequests and queueTimeoutMs reaches the live admission on the next sync', async () => {
  const clock = new FakeClock();
  const t = new RouteTable(clock);
  const tight = { ...dep, maxOngoingRequests: 1, maxQueuedRequests: 5, queueTimeoutMs: 60_000 } as DeploymentRow;
  t.sync(tight, [rep('r1', 'ready')]);
  const a = t.get('chat')!.admission;
  const got: (string | null)[] = [];
  for (let i = 0; i < 3; i++) a.acquire((err) => got.push(err ? err.code : null));
  assert.deepEqual([...got], [null]);
  t.sync({ ...tight, maxOngoingRequests: 2 } as DeploymentRow, [rep('r1', 'ready')]);
  assert.deepEqual([...got], [null, null], 'the raised cap takes a waiter at once');
  t.sync({ ...tight, maxOngoingRequests: 2, queueTimeoutMs: 1000 } as DeploymentRow, [rep('r1', 'ready')]);
  clock.advance(1000);
  assert.deepEqual([...got], [null, null, 'queue_timeout'], 'the shorter timeout holds for the waiter already queued');
  t.sync({ ...tight, maxOngoingRequests: 2, maxQueuedRequests: 0 } as DeploymentRow, [rep('r1', 'ready')]);
  a.acquire((err) => got.push(err ? err.code : null));
  assert.equal(got[3], 'queue_full');
  await t.close();
});

test('a replica that leaves takes all its labelled series out of /metrics', async () => {
  const t = new RouteTable(new FakeClock());
  const metrics = t.metrics;
  t.sync(dep, [rep('r1', 'ready'), rep('r2', 'ready')]);
  const r1 = t.get('chat')!.replicas.get('r1')!;
  for (const id of ['r1', 'r2']) {
    const s = t.get('chat')!.replicas.get(id)!.series;
    s.requests('200').inc();
    s.requests('502').inc();
    s.ttft.observe(0.1);
    s.latency.observe(0.5);
  }
  const text = () => metrics.registry.metrics();
  assert.match(await text(), /replica="r1"/);
  t.sync(dep, [rep('r2', 'ready')]);
  assert.equal(r1.retired, true);
  const after = await text();
  assert.doesNotMatch(after, /replica="r1"/, 'no series of the removed replica is listed');
  assert.match(after, /inferscale_gateway_requests_total\{deployment="chat",replica="r2",code="502"\} 1/, 'the other replica keeps its series');
  await t.close();
});

test('deleting a deployment refuses its queued requests at once with deployment_deleted (410), and every later one', async () => {
  const clock = new FakeClock();
  const t = new RouteTable(clock);
  const one = { ...dep, maxOngoingRequests: 1, queueTimeoutMs: 60_000 } as DeploymentRow;
  t.sync(one, [rep('r1', 'ready')]);
  const a = t.get('chat')!.admission;
  const got: { code: string | null; status?: number }[] = [];
  const ask = () => a.acquire((err) => got.push({ code: err ? err.code : null, status: err?.status }));
  ask();
  ask();
  ask();
  assert.equal(a.queued, 2);
  t.sync({ ...one, deleting: true, replicas: 0 } as DeploymentRow, [rep('r1', 'draining')]);
  assert.deepEqual(
    got.slice(1),
    [
      { code: 'deployment_deleted', status: 410 },
      { code: 'deployment_deleted', status: 410 },
    ],
    'answered without any time passing',
  );
  assert.equal(a.queued, 0);
  ask();
  assert.equal(got[3].code, 'deployment_deleted', 'a request (or a retry) arriving while it drains is refused too');
  await t.close();
});

test('a rotated key: the new one opens the deployment at once, the old one until its grace ends, then neither byKey nor opens() takes it', async () => {
  const clock = new FakeClock(1_000);
  const t = new RouteTable(clock);
  const oldHash = hashKey('old');
  t.sync({ ...dep, apiKeyHash: oldHash }, [rep('r1', 'ready')]);
  const route = t.get('chat')!;
  assert.equal(route.opens('old', clock.now()), true);
  // the rotation as the API applies it, before the next sync
  t.setKeys({ id: 'd1', apiKeyHash: hashKey('new'), previousKeyHash: oldHash, previousKeyUntil: 6_000 });
  assert.equal(route.opens('new', clock.now()), true);
  assert.equal(route.opens('old', clock.now()), true, 'within the grace');
  assert.equal(t.byKey('new').has(route), true);
  assert.equal(t.byKey('old').has(route), true);
  assert.equal(route.opens('other', clock.now()), false);
  clock.advance(4_999);
  assert.equal(route.opens('old', clock.now()), true);
  clock.advance(1);
  assert.equal(route.opens('old', clock.now()), false, 'the grace is over');
  assert.equal(t.byKey('old').size, 0);
  assert.equal(t.byKey('new').has(route), true);
  // a sync with the stored row keeps both; a rotation with no grace drops the old key at once
  t.sync({ ...dep, apiKeyHash: hashKey('newer'), previousKeyHash: null, previousKeyUntil: null }, [rep('r1', 'ready')]);
  assert.equal(route.opens('new', clock.now()), false);
  assert.equal(t.byKey('new').size, 0, 'the replaced key is out of the index');
  assert.equal(t.byKey('newer').has(route), true);
  await t.close();
});

test('a deployment whose replicas all sleep holds requests like one at zero, and a held request is told a wake, not a cold start', () => {
  const t = new RouteTable(new FakeClock(), { coldStartMs: () => 60_000, wakeMs: () => 2_000 });
  const auto = { ...dep, autoscale: { minReplicas: 1, idle: 'sleep' } } as unknown as DeploymentRow;
  t.sync(auto, [], 0, 0);
  assert.equal(t.get('chat')!.holdAtZero, false, 'min 1 and nothing asleep: nothing to wake');
  assert.equal(t.get('chat')!.coldStartSeconds, 60);
  t.sync(auto, [], 0, 1);
  assert.equal(t.get('chat')!.holdAtZero, true, 'one asleep: held, and a wake is asked for');
  assert.equal(t.get('chat')!.coldStartSeconds, 2);
  t.sync({ ...auto, deleting: true } as DeploymentRow, [], 0, 1);
  assert.equal(t.get('chat')!.holdAtZero, false, 'deleting: never held');
});
