import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestServer } from '../test/harness.js';
import { API_OPERATIONS, openApiDocument, openApiPath } from './openapi.js';
import * as s from './openapi-schemas.js';

// The OpenAPI description against the real server: every route its Hono app has is described, every
// example validates against the zod schema that describes it, and the document is valid OpenAPI 3.1.
const t = await startTestServer();
after(() => t.close());

test("every route of the API (the running server's Hono app, all modules mounted) is described, and nothing else", () => {
  const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
  const routes = new Set(t.server.api.routes.filter((r) => METHODS.has(r.method)).map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
  const doc = openApiDocument();
  const described = new Set(
    Object.entries(doc.paths ?? {}).flatMap(([p, item]) =>
      Object.keys(item ?? {})
        .filter((k) => METHODS.has(k.toUpperCase()))
        .map((m) => `${m} ${p}`),
    ),
  );
  assert.ok(routes.size >= 30, `the server's routes: ${routes.size}`);
  assert.deepEqual(
    [...routes].filter((r) => !described.has(r)),
    [],
    'routes the document lacks',
  );
  assert.deepEqual(
    [...described].filter((r) => !routes.has(r)),
    [],
    'described routes the server does not have',
  );
});

test('every example validates against its schema (the zod schema that validates the request), and is in the document', () => {
  const doc = JSON.stringify(openApiDocument());
  let n = 0;
  for (const op of API_OPERATIONS) {
    for (const [what, ex] of [
      ['body', op.body],
      ['response', op.response],
    ] as const) {
      if (!ex || ex.example === undefined || !ex.schema) continue;
      n++;
      const r = ex.schema.safeParse(ex.example);
      assert.ok(r.success, `${op.method} ${op.path} ${what} example: ${r.error?.message}`);
      assert.ok(doc.includes(JSON.stringify(ex.example)), `${op.method} ${op.path} ${what} example in the document`);
    }
  }
  assert.ok(n >= 10, `examples: ${n}`);
  // the components' own examples (schema-level) too: each named schema with one is checked here
  const withExamples = [s.deploymentView, s.deploymentDetail, s.errorBody];
  for (const schema of withExamples) assert.ok(schema.safeParse(schema.meta()?.example).success, `${schema.meta()?.id} example`);
  const inDoc = Object.entries(openApiDocument().components?.schemas ?? {}).filter(([, v]) => (v as { example?: unknown }).example !== undefined);
  assert.deepEqual(inDoc.map(([k]) => k).sort(), withExamples.map((x) => String(x.meta()?.id)).sort());
});

test('a wrong example is caught (the check above can fail)', () => {
  const op = API_OPERATIONS.find((o) => o.method === 'post' && o.path === '/deployments')!;
  assert.equal(op.body!.schema.safeParse({ ...(op.body!.example as object), name: 'Not A DNS Label' }).success, false);
  assert.equal(op.body!.schema.safeParse({ ...(op.body!.example as object), unknownField: 1 }).success, false);
});

test('the document is valid OpenAPI 3.1, errors are described with the stable error body', async () => {
  const doc = openApiDocument();
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  const v = await new Validator().validate(JSON.parse(JSON.stringify(doc)));
  assert.ok(v.valid, JSON.stringify(v.errors, null, 1));
  const err = doc.components?.schemas?.Error as { properties: { error: { properties: Record<string, unknown>; required: string[] } } };
  assert.deepEqual(err.properties.error.required.sort(), ['code', 'field', 'message']);
  const responses = doc.paths?.['/api/v1/deployments']?.post?.responses as Record<string, { content: Record<string, { schema: { $ref: string } }> }>;
  for (const status of ['400', '401', '409', '500'])
    assert.equal(responses[status].content['application/json'].schema.$ref, '#/components/schemas/Error', status);
});

test('GET /api/v1/openapi.json answers the document without a token; the rest of the API still asks for one', async () => {
  const r = await fetch(`${t.url}/api/v1/openapi.json`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const served = (await r.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.deepEqual(served, JSON.parse(JSON.stringify(openApiDocument())));
  assert.equal((await fetch(`${t.url}/api/v1/deployments`)).status, 401);
});
