import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EV_CALLBACK, EventClock } from './event-clock.js';

test('events come out by time, then by insertion; cancelled ones are skipped', () => {
  const c = new EventClock(100);
  const seen: string[] = [];
  c.setTimeout(() => seen.push('b'), 50);
  c.push(120, 7, 'typed', 1);
  const t = c.setTimeout(() => seen.push('x'), 10);
  c.setTimeout(() => seen.push('c'), 50);
  c.setTimeout(() => seen.push('a'), 0);
  t.cancel();
  const order: number[] = [];
  for (let e = c.pop(); e; e = c.pop()) {
    c.advanceTo(e.at);
    order.push(e.at);
    if (e.kind === EV_CALLBACK) e.fn?.();
    else seen.push(String(e.ref));
  }
  assert.deepEqual(seen, ['a', 'typed', 'b', 'c']);
  assert.deepEqual(order, [100, 120, 150, 150]);
  assert.equal(c.now(), 150);
  assert.equal(c.peekTime(), Infinity);
});

test('a large random schedule pops in order', () => {
  const c = new EventClock(0);
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    c.push(x % 10_000, 1, null, i);
  }
  let last = -1;
  let lastSeq = -1;
  for (let e = c.pop(); e; e = c.pop()) {
    assert.ok(e.at > last || (e.at === last && e.seq > lastSeq));
    last = e.at;
    lastSeq = e.seq;
  }
});
