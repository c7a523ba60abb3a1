import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventClock } from './event-clock.js';
import { DRAINING, READY, STOPPED } from './replica.js';
import { ReplicaSet } from './replica-set.js';
import type { SimReplica } from './replica.js';

test("scale-down follows the controller's victim order: starting newest first, then the ready one with the fewest in flight", () => {
  const clock = new EventClock(0);
  const set = new ReplicaSet(clock, 0, 1, () => 10_000);
  let ready: SimReplica[] = [];
  set.onReadyChange = (list) => (ready = [...list]);
  set.apply(3, 0, true); // three ready at once
  const [a, b, c] = ready;
  a.inflight = 2;
  b.inflight = 1;
  c.inflight = 1;
  set.apply(5, 1_000, false); // two more starting
  assert.deepEqual([set.ready, set.starting], [3, 2]);
  set.apply(2, 2_000, false); // remove 3: both starting, then b (fewest in flight, older than c)
  assert.deepEqual([set.ready, set.starting, set.draining], [2, 0, 1]);
  assert.equal(b.state, DRAINING);
  assert.deepEqual([a.state, c.state], [READY, READY]);
  assert.deepEqual(ready, [a, c]);
  b.inflight = 0;
  set.stop(b, 3_000);
  assert.equal(b.state, STOPPED);
  assert.equal(clock.peekTime(), Infinity, "the starting replicas' ready events are cancelled");
});
