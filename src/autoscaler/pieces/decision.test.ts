import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lazyResult } from './decision.js';

test('lazyResult builds the reason once, on first read, and not at all when unread', () => {
  let built = 0;
  const r = lazyResult(3, { x: 1 }, () => `built ${++built}`);
  assert.equal(built, 0);
  assert.equal(r.desired, 3);
  assert.deepEqual(r.state, { x: 1 });
  assert.equal(r.reason, 'built 1');
  assert.equal(r.reason, 'built 1');
  assert.equal(built, 1);
  assert.equal(JSON.parse(JSON.stringify(r)).reason, 'built 1', 'serialises like a plain result');
});
