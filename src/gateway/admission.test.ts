import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import type { InferscaleError } from '../core/errors.js';
import { Admission, type AdmissionOptions } from './admission.js';
import { pickLeastOutstanding, type RoutableReplica } from './balancer.js';

const replica = (id: string, inflight = 0, routable = true): RoutableReplica => ({ id, inflight, routable });

function setup(o: Partial<AdmissionOptions> = {}) {
  const clock = new FakeClock(0);
  const wakes: number[] = [];
  const a = new Admission<RoutableReplica>({
    clock,
    maxOngoingPerReplica: 2,
    maxQueued: 2,
    queueTimeoutMs: 1000,
    retryAfterSeconds: () => 7,
    whenEmpty: () => 'hold',
    onWake: () => wakes.push(clock.now()),
    ...o,
  });
  const got: { err: InferscaleError | null; r?: RoutableReplica; waited?: number }[] = [];
  const ask = () => a.acquire((err, r, waited) => got.push({ err, r, waited }));
  return { clock, a, got, ask, wakes };
}

test('balancer: least outstanding, under the cap, skipping unroutable and excluded replicas', () => {
  const a = replica('a', 3),
    b = replica('b', 1),
    c = replica('c', 0, false),
    d = replica('d', 1);
  assert.equal(pickLeastOutstanding([a, b, c, d], 4, 0)?.id, 'b');
  assert.equal(pickLeastOutstanding([a, b, c, d], 4, 3)?.id, 'd', 'ties rotate with the counter');
  assert.equal(pickLeastOutstanding([a, b, c, d], 4, 0, b)?.id, 'd');
  assert.equal(pickLeastOutstanding([a, b], 1, 0), undefined, 'everyone at the cap');
});

test('admission: routes under the cap, queues beyond it, serves the queue in order on release', () => {
  const { a, got, ask, clock } = setup();
  const r1 = replica('r1');
  a.setReplicas([r1]);
  ask();
  ask();
  assert.equal(got.length, 2);
  assert.equal(r1.inflight, 2);
  ask();
  assert.equal(a.queued, 1);
  clock.advance(300);
  a.release(r1);
  assert.equal(got.length, 3);
  assert.equal(got[2].r, r1);
  assert.equal(got[2].waited, 300);
  assert.equal(a.ongoing, 2);
});

test('admission: queue full and queue timeout answer 503 codes with Retry-After', () => {
  const { a, got, ask, clock } = setup();
  const r1 = replica('r1', 0);
  a.setReplicas([r1]);
  ask();
  ask();
  ask();
  ask();
  ask();
  assert.equal(got.length, 3);
  assert.equal(got[2].err?.code, 'queue_full');
  assert.equal(got[2].err?.details.retryAfterSeconds, 7);
  assert.equal(got[2].err?.status, 503);
  clock.advance(999);
  assert.equal(got.length, 3);
  clock.advance(1);
  assert.deepEqual(
    got.slice(3).map((g) => g.err?.code),
    ['queue_timeout', 'queue_timeout'],
  );
  assert.equal(a.queued, 0);
});

test('admission at zero: held and woken when autoscaling may wake it, refused when stopped by hand', () => {
  const held = setup();
  held.ask();
  assert.equal(held.a.queued, 1);
  assert.deepEqual(held.wakes, [0], 'the wake-up signal goes out with the request, not at the next tick');
  held.clock.advance(500);
  const r = replica('r');
  held.a.setReplicas([r]);
  assert.equal(held.got[0].r, r, 'dispatched the moment a replica is routable');
  assert.equal(held.got[0].waited, 500);

  const stopped = setup({ whenEmpty: () => 'reject' });
  stopped.ask();
  assert.equal(stopped.got[0].err?.code, 'deployment_stopped');
  assert.equal(stopped.got[0].err?.details.retryAfterSeconds, 7);

  const coming = setup({ whenEmpty: () => 'reject', comingReplicas: () => 1 });
  coming.ask();
  assert.equal(coming.a.queued, 1, 'a replica on its way is coming capacity: hold, do not refuse');
});

test('admission: a retry excludes the replica that failed', () => {
  const { a, got } = setup();
  const r1 = replica('r1'),
    r2 = replica('r2', 1);
  a.setReplicas([r1, r2]);
  a.acquire((err, r) => got.push({ err, r }), r1);
  assert.equal(got[0].r, r2);
});

test('admission: a request cancelled while queued frees its slot at once and is never granted', () => {
  const { a, got, ask, clock } = setup({ maxQueued: 1 });
  const r1 = replica('r1', 2);
  a.setReplicas([r1]);
  const cancel = ask();
  assert.equal(a.queued, 1);
  cancel();
  assert.equal(a.queued, 0);
  ask();
  assert.equal(a.queued, 1, 'the freed slot takes the next request instead of queue_full');
  clock.advance(2000);
  assert.equal(got.length, 1, 'the cancelled one got neither a replica nor a timeout');
  assert.equal(got[0].err?.code, 'queue_timeout');
  cancel();
  assert.equal(a.queued, 0, 'cancel after the fact changes nothing');
});

test('admission: new limits apply to the live queue (a PATCH): a higher cap serves waiters, a lower bound refuses the newest, a new timeout counts from arrival', () => {
  const { a, got, ask, clock } = setup({ maxOngoingPerReplica: 1, maxQueued: 4, queueTimeoutMs: 10_000 });
  const r1 = replica('r1');
  a.setReplicas([r1]);
  ask(); // granted
  clock.advance(100);
  ask(); // queued at 100
  clock.advance(100);
  ask(); // queued at 200
  ask(); // queued at 200
  assert.equal(got.length, 1);
  assert.equal(a.queued, 3);

  a.setLimits({ maxOngoingPerReplica: 2, maxQueued: 4, queueTimeoutMs: 10_000 });
  assert.equal(got.length, 2, 'the raised cap serves the oldest waiter at once');
  assert.equal(got[1].r, r1);
  assert.equal(got[1].waited, 100);
  assert.equal(a.queued, 2);

  a.setLimits({ maxOngoingPerReplica: 2, maxQueued: 1, queueTimeoutMs: 10_000 });
  assert.equal(got.length, 3);
  assert.equal(got[2].err?.code, 'queue_full', 'the newest waiter beyond the lowered bound is refused');
  assert.equal(a.queued, 1);

  clock.advance(300); // now 500; the remaining waiter arrived at 200
  a.setLimits({ maxOngoingPerReplica: 2, maxQueued: 1, queueTimeoutMs: 400 });
  assert.equal(got.length, 3, 'still inside the new timeout');
  clock.advance(99);
  assert.equal(got.length, 3);
  clock.advance(1);
  assert.equal(got[3].err?.code, 'queue_timeout', 'the new timeout counts from arrival (200 + 400)');
  assert.equal(a.queued, 0);

  a.setLimits({ maxOngoingPerReplica: 1, maxQueued: 1, queueTimeoutMs: 400 });
  assert.equal(r1.inflight, 2, 'requests above a lowered cap finish where they are');
  ask();
  assert.equal(got.length, 4);
  assert.equal(a.queued, 1, 'no new request goes to a replica over the lowered cap');
  a.release(r1);
  assert.equal(got.length, 4, 'one in flight is still the cap');
  a.release(r1);
  assert.equal(got.length, 5);
  assert.equal(got[4].r, r1);

  a.setLimits({ maxOngoingPerReplica: 1, maxQueued: 1, queueTimeoutMs: 400 });
  assert.equal(a.queued, 0);
  assert.equal(got.length, 5, 'an unchanged PATCH does nothing');
});
