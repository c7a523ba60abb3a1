import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { SimScheduler, type SchedulerTicket } from './scheduler.js';

function setup(maxNumSeqs: number, maxWaiting: number) {
  const clock = new FakeClock(1000);
  const s = new SimScheduler({ maxNumSeqs, maxWaiting }, clock);
  const started: number[] = [];
  const admit = () => s.admit((t) => started.push(t.id));
  return { clock, s, started, admit };
}

test('admits up to maxNumSeqs running, starting them synchronously', () => {
  const { s, started, admit } = setup(2, 2);
  const a = admit();
  const b = admit();
  assert.deepEqual(started, [1, 2]);
  assert.equal(a?.state, 'running');
  assert.equal(b?.startedAt, 1000);
  assert.equal(s.running, 2);
  assert.equal(s.waiting, 0);
});

test('queues FIFO beyond maxNumSeqs and rejects beyond maxWaiting', () => {
  const { clock, s, started, admit } = setup(1, 2);
  const a = admit()!;
  const b = admit()!;
  const c = admit()!;
  assert.equal(b.state, 'waiting');
  assert.equal(s.waiting, 2);
  assert.equal(admit(), undefined, 'queue full');
  assert.equal(s.rejectedTotal, 1);
  assert.deepEqual(started, [1]);
  clock.advance(50);
  a.release();
  assert.deepEqual(started, [1, 2], 'b started, in order');
  assert.equal(b.state, 'running');
  assert.equal(b.startedAt, 1050);
  assert.equal(b.admittedAt, 1000);
  b.release();
  assert.deepEqual(started, [1, 2, 3]);
  c.release();
  assert.equal(s.running, 0);
  assert.equal(s.waiting, 0);
});

test('maxWaiting 0 rejects as soon as all slots are busy', () => {
  const { s, admit } = setup(1, 0);
  assert.ok(admit());
  assert.equal(admit(), undefined);
  assert.equal(s.waiting, 0);
});

test('release is idempotent, and releasing a waiting ticket just leaves the queue', () => {
  const { s, started, admit } = setup(1, 5);
  const a = admit()!;
  const b = admit()!;
  const c = admit()!;
  b.release(); // abort while waiting
  assert.equal(b.state, 'released');
  assert.equal(s.waiting, 1);
  a.release();
  a.release();
  assert.equal(s.running, 1);
  assert.deepEqual(started, [1, 3], 'b never starts');
  assert.equal(c.state, 'running');
});

test('an onStart that releases at once hands the slot on', () => {
  const clock = new FakeClock();
  const s = new SimScheduler({ maxNumSeqs: 1, maxWaiting: 10 }, clock);
  const order: string[] = [];
  const a = s.admit(() => order.push('a'))!;
  s.admit((t: SchedulerTicket) => {
    order.push('b');
    t.release();
  });
  s.admit(() => order.push('c'));
  a.release();
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(s.running, 1);
  assert.equal(s.waiting, 0);
});

test('a long queue stays FIFO across compaction', () => {
  const { s, started, admit } = setup(1, 5000);
  const tickets = Array.from({ length: 3000 }, () => admit()!);
  for (const t of tickets) t.release();
  assert.equal(started.length, 3000);
  assert.deepEqual(started.slice(0, 5), [1, 2, 3, 4, 5]);
  assert.ok(started.every((id, i) => id === i + 1));
  assert.equal(s.running, 0);
});
