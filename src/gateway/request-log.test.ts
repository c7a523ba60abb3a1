import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { RequestLog, type RequestRow } from './request-log.js';

const count = (db: ReturnType<typeof openDb>) => (db.prepare('SELECT COUNT(*) AS n FROM request_log').get() as { n: number }).n;

test('a row the routing diverts (an HA follower) goes there and not to the file; one it declines is kept', () => {
  const db = openDb(':memory:', SCHEMA);
  const sent: RequestRow[] = [];
  let following = true;
  const log = new RequestLog(db, new FakeClock(0), undefined, {
    divert: (row) => {
      if (following) sent.push(row);
      return following;
    },
  });
  log.push('d1', 10, 5, 7, 120, 200);
  log.flush();
  assert.deepEqual(sent, [['d1', 10, 5, 7, 120, 200, null]]);
  assert.equal(count(db), 0);
  following = false; // this replica became the leader
  log.push('d1', 20, 5, 7, undefined, 503);
  log.flush();
  assert.equal(sent.length, 1);
  assert.equal(count(db), 1);
});

test('the rows other gateways report (an HA leader) are written at once, without waiting for the 1 s flush', () => {
  const db = openDb(':memory:', SCHEMA);
  const listeners: ((rows: readonly RequestRow[]) => void)[] = [];
  new RequestLog(db, new FakeClock(0), undefined, { remoteRows: { subscribe: (fn) => void listeners.push(fn) } });
  assert.equal(listeners.length, 1);
  listeners[0]([
    ['d1', 10, 5, 7, 120, 200],
    ['d1', 11, 5, 7, null, 429],
  ]);
  assert.equal(count(db), 2);
});

test("the request log keeps each request's x-request-id; rows from an older gateway (six columns) have none", () => {
  const clock = new FakeClock(1_000_000);
  const log = new RequestLog(openDb(':memory:', SCHEMA), clock);
  log.push('d1', 1_000_000, 10, 20, 150, 200, 'req-1');
  log.push('d1', 1_000_001, 1, 2, undefined, 499);
  log.pushRows([['d1', 1_000_002, 3, 4, null, 502]]);
  assert.deepEqual(
    log.rows('d1', 0).map((r) => [r.status, r.requestId]),
    [
      [200, 'req-1'],
      [499, null],
      [502, null],
    ],
  );
});
