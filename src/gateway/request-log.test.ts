import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { RequestLog } from './request-log.js';

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
