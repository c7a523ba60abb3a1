import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_ID_MAX_LENGTH, requestIdFrom } from './request-id.js';

const fresh = () => 'generated';

test("a client's well-formed id is kept (trimmed)", () => {
  assert.equal(requestIdFrom('  4bf92f35-77b3-4da6-a3ce-929d0e0e4736 ', fresh), '4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
  assert.equal(requestIdFrom(['req:01HZX/abc+1='], fresh), 'req:01HZX/abc+1=');
  assert.equal(requestIdFrom('x'.repeat(REQUEST_ID_MAX_LENGTH), fresh), 'x'.repeat(REQUEST_ID_MAX_LENGTH));
});

test('a missing, too long, repeated or unsafe id is replaced by a generated one', () => {
  for (const bad of [undefined, '', '   ', 'x'.repeat(REQUEST_ID_MAX_LENGTH + 1), 'a b', 'a"b', 'a\r\nset-cookie: x', 'é', ['a', 'b']]) {
    assert.equal(requestIdFrom(bad, fresh), 'generated', JSON.stringify(bad));
  }
});

test('the default generator gives UUIDs, a new one each time', () => {
  const a = requestIdFrom(undefined);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.notEqual(a, requestIdFrom(undefined));
});
