import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferscaleError, type ErrorCode } from '../core/errors.js';
import { apiUnderTest } from './testkit.js';

/**
 * The codes each HTTP status answers, as clients see them: written out here so that moving a code to
 * another status is a visible decision. Listing every code is checked when this file compiles.
 */
const BY_STATUS = {
  400: ['invalid_argument', 'immutable_field', 'unsupported', 'bad_request'],
  401: ['unauthorized'],
  403: ['forbidden'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  408: ['request_timeout'],
  409: ['already_exists', 'quota_exceeded', 'insufficient_capacity', 'conflict', 'autoscaling_enabled', 'model_in_use'],
  410: ['deployment_deleted'],
  413: ['payload_too_large'],
  431: ['headers_too_large'],
  500: ['internal'],
  502: ['upstream_error'],
  503: ['deployment_stopped', 'deployment_starting', 'no_ready_replica', 'queue_full', 'queue_timeout', 'server_busy', 'no_leader', 'cluster_write_failed'],
  504: ['upstream_timeout'],
  507: ['storage_full'],
} as const satisfies Record<number, readonly ErrorCode[]>;
type Listed = (typeof BY_STATUS)[keyof typeof BY_STATUS][number];
const everyCodeListed: Exclude<ErrorCode, Listed> extends never ? true : never = true;
const EXPECTED = Object.entries(BY_STATUS).flatMap(([status, codes]) => codes.map((code) => [code, Number(status)] as const));

/** An app whose /throw/:code route throws what `thrown` makes of the code. */
function throwingApi(thrown: (code: string) => unknown) {
  return apiUnderTest({
    routes: [
      (app) => {
        app.get('/throw/:code', (c) => {
          throw thrown(c.req.param('code'));
        });
      },
    ],
  });
}

test('every InferscaleError code becomes its HTTP status, with the code, message, field and details in the body', async (t) => {
  const logged = t.mock.method(console, 'error', () => undefined);
  const { call } = throwingApi((code) => new InferscaleError(code as ErrorCode, `${code} happened`, { field: 'f', extra: 1 }));
  assert.ok(everyCodeListed);
  assert.equal(new Set(EXPECTED.map(([code]) => code)).size, EXPECTED.length, 'each code listed once');
  for (const [code, status] of EXPECTED) {
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
