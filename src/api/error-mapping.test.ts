import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferscaleError, type ErrorCode } from '../core/errors.js';
import { apiUnderTest } from './testkit.js';

/** The HTTP status of every error code, as clients see it: written out here so a change of the table is a visible decision. */
const EXPECTED: Record<ErrorCode, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  quota_exceeded: 409,
  insufficient_capacity: 409,
  immutable_field: 400,
  conflict: 409,
  autoscaling_enabled: 409,
  unauthorized: 401,
  forbidden: 403,
  deployment_stopped: 503,
  deployment_deleted: 410,
  deployment_starting: 503,
  no_ready_replica: 503,
  queue_full: 503,
  queue_timeout: 503,
  upstream_error: 502,
  upstream_timeout: 504,
  server_busy: 503,
  payload_too_large: 413,
  unsupported: 400,
  model_in_use: 409,
  no_leader: 503,
  cluster_write_failed: 503,
  bad_request: 400,
  headers_too_large: 431,
  request_timeout: 408,
  method_not_allowed: 405,
  storage_full: 507,
  internal: 500,
};

/** An app whose /throw/:code route throws what `thrown` makes of the code. */
function throwingApi(thrown: (code: string) => unknown) {
  return apiUnderTest({
    extend: (app) => {
      app.get('/throw/:code', (c) => {
        throw thrown(c.req.param('code'));
      });
    },
  });
}

test('every InferscaleError code becomes its HTTP status, with the code, message, field and details in the body', async (t) => {
  const logged = t.mock.method(console, 'error', () => undefined);
  const { call } = throwingApi((code) => new InferscaleError(code as ErrorCode, `${code} happened`, { field: 'f', extra: 1 }));
  for (const [code, status] of Object.entries(EXPECTED)) {
    const r = await call('GET', `/throw/${code}`);
    assert.equal(r.status, status, code);
    assert.deepEqual(r.body, { error: { code, message: `${code} happened`, field: 'f', details: { field: 'f', extra: 1 } } }, code);
    assert.equal(r.headers.get('retry-after'), null, `${code}: no Retry-After unless the error gives one`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  }
  assert.equal(logged.mock.callCount(), 1, 'only the internal error is logged on the server');
});

test('retryAfterSeconds becomes a Retry-After header, rounded up', async () => {
  const { call } = throwingApi(() => new InferscaleError('no_ready_replica', 'warming up', { retryAfterSeconds: 2.2 }));
  const r = await call('GET', '/throw/x');
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '3');
  assert.equal(r.body.error.field, null);
});

test('anything else thrown is a 500 internal; a full disk is a 507 storage_full that says nothing changed', async (t) => {
  const logged: unknown[] = [];
  t.mock.method(console, 'error', (e: unknown) => logged.push(e));
  const { call } = throwingApi((code) =>
    code === 'disk' ? Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' }) : new TypeError('x is undefined'),
  );
  const r = await call('GET', '/throw/bug');
  assert.equal(r.status, 500);
  assert.equal(r.body.error.code, 'internal');
  assert.equal(r.body.error.message, 'x is undefined');
  assert.equal(logged.length, 1, 'an internal error is logged on the server');
  const full = await call('GET', '/throw/disk');
  assert.equal(full.status, 507);
  assert.equal(full.body.error.code, 'storage_full');
  assert.match(full.body.error.message, /nothing was changed/);
  assert.equal(full.headers.get('retry-after'), '30');
  assert.equal(logged.length, 1, 'a full disk is not a bug to log');
});
