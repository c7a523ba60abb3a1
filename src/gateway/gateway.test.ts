import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { hashKey } from '../security/secrets.js';
import type { DeploymentRow } from '../store/store.js';
import type { RoutedReplica } from '../controller/reconciler.js';
import { waitFor } from '../test/harness.js';
import { Gateway, type GatewayOptions, timePerOutputToken } from './gateway.js';
import type { RequestLog } from './request-log.js';
import { createGatewayTracer, otlpTracesUrl, parseTraceparent } from './tracing.js';
import type { GatewayLimits } from '../domain/limits.js';
import { RouteTable } from './route-table.js';

// The gateway in front of small real HTTP servers playing replicas: what reaches a replica, what a
// client sees, over real sockets (timeouts and unread bodies cannot be seen in-process).
const servers: http.Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function listen(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const ANSWER = JSON.stringify({ choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });

/** A replica that answers at once, counting the requests it got. */
async function answering(): Promise<{ url: string; got: number }> {
  const r = { url: '', got: 0 };
  r.url = await listen((req, res) => {
    r.got++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER));
  });
  return r;
}

/** A replica whose /health would answer but whose completions never do (headers: none, or after `events` SSE events). */
async function hanging(o: { events?: number } = {}): Promise<{ url: string; got: number; closed: number }> {
  const r = { url: '', got: 0, closed: 0 };
  r.url = await listen((req, res) => {
    r.got++;
    req.resume();
    res.on('close', () => r.closed++);
    if (o.events === undefined) return;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < o.events; i++) res.write(`data: {"choices":[{"delta":{"content":"t${i}"}}]}\n\n`);
  });
  return r;
}

const KEYS = { chat: 'isk-chat', other: 'isk-other', slow: 'isk-slow' } as Record<string, string>;
const row = (name: string, o: Partial<DeploymentRow> = {}) =>
  ({
    id: `id-${name}`,
    name,
    modelName: 'm',
    apiKeyHash: hashKey(KEYS[name] ?? `isk-${name}`),
    status: 'ready',
    autoscale: null,
    deleting: false,
    replicas: 1,
    maxOngoingRequests: 4,
    maxQueuedRequests: 10,
    queueTimeoutMs: 5000,
    ...o,
  }) as unknown as DeploymentRow;
const at = (id: string, url: string) => ({ id, state: 'ready', port: null, url }) as unknown as RoutedReplica;

async function gatewayFor(limits: Partial<GatewayLimits> = {}, extra: Partial<GatewayOptions> = {}) {
  const routes = new RouteTable(systemClock);
  const metrics = routes.metrics;
  const gw = new Gateway({ routes, clock: systemClock, limits, ...extra });
  const url = await listen((req, res) => {
    if (!gw.handle(req, res)) res.writeHead(404).end();
  });
  after(() => routes.close());
  return { gw, routes, metrics, url };
}

/** Sends the request line and headers only (no body byte) and waits for an answer, at most 5 s. */
function headersOnly(url: string, path: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method: 'POST', headers, signal: AbortSignal.timeout(5000) });
    req.on('response', (res) => {
      res.resume();
      resolve(res);
      req.destroy();
    });
    req.on('error', (e) => reject(new Error(`no answer before the body was sent: ${e.message}`)));
    req.flushHeaders();
  });
}

function post(url: string, path: string, key: string, body: string | Record<string, unknown>): Promise<{ status: number; text: string; headers: Headers }> {
  return fetch(url + path, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, text: await r.text(), headers: r.headers }));
}

const code = (text: string) => JSON.parse(text).error.code as string;

test('a wrong or missing key with a 4 MiB Content-Length is answered 401 from the headers alone: the body is never read, and the connection closes', async () => {
  const { gw, routes, url } = await gatewayFor();
  const replica = await answering();
  routes.sync(row('chat'), [at('r1', replica.url)]);
  const big = { 'content-type': 'application/json', 'content-length': String(4 * 1024 * 1024) };
  for (const path of ['/d/chat/v1/chat/completions', '/v1/chat/completions', '/d/nope/v1/chat/completions']) {
    for (const auth of [{ authorization: 'Bearer isk-wrong' }, {}] as Record<string, string>[]) {
      const res = await headersOnly(url, path, { ...big, ...auth });
      assert.equal(res.statusCode, 401, `${path} ${JSON.stringify(auth)}`);
      assert.equal(res.headers.connection, 'close', 'the unread body is not drained to keep the connection');
    }
  }
  assert.equal(gw.bodies.held, 0);
  assert.equal(replica.got, 0);
});

test("root /v1: the key names the deployments it opens, the body's model picks one of them", async () => {
  const { routes, url } = await gatewayFor();
  const replica = await answering();
  routes.sync(row('chat'), [at('r1', replica.url)]);
  routes.sync(row('other'), [at('r2', replica.url)]);
  const ask = { messages: [{ role: 'user', content: 'x' }] };
  const ok = await post(url, '/v1/chat/completions', KEYS.chat, { ...ask, model: 'chat' });
  assert.equal(ok.status, 200, ok.text);
  const foreign = await post(url, '/v1/chat/completions', KEYS.chat, { ...ask, model: 'other' });
  assert.deepEqual([foreign.status, code(foreign.text)], [401, 'unauthorized'], "another deployment's name with this key");
  const missing = await post(url, '/v1/chat/completions', KEYS.chat, { ...ask, model: 'nope' });
  assert.deepEqual([missing.status, code(missing.text)], [404, 'not_found']);
  const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEYS.other}` } }).then((r) => r.json());
  assert.deepEqual(
    models.data.map((m: { id: string }) => m.id),
    ['other'],
  );
  routes.sync({ ...row('chat'), apiKeyHash: hashKey('isk-rotated') } as DeploymentRow, [at('r1', replica.url)]);
  assert.equal((await post(url, '/v1/chat/completions', KEYS.chat, { ...ask, model: 'chat' })).status, 401, 'a rotated key opens nothing');
  assert.equal((await post(url, '/v1/chat/completions', 'isk-rotated', { ...ask, model: 'chat' })).status, 200);
});

test('request bodies held at once are capped server-wide: over the cap 503 server_busy (declared or chunked), and a finished request gives its bytes back', async () => {
  const { gw, routes, url } = await gatewayFor({ maxBufferedBodyBytes: 1000 });
  const replica = await answering();
  routes.sync(row('chat'), [at('r1', replica.url)]);
  const body800 = (() => {
    const head = '{"model":"chat","messages":[],"pad":"';
    return `${head + 'x'.repeat(800 - head.length - 2)}"}`;
  })();
  assert.equal(body800.length, 800);
  // A: 800 bytes declared, 10 sent: its 800 are held while it trickles
  const a = http.request(`${url}/d/chat/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.chat}`, 'content-length': '800' } });
  a.on('error', () => undefined);
  a.write(body800.slice(0, 10));
  await waitFor(() => gw.bodies.held === 800, { what: 'the first body charged' });
  const b = await post(url, '/d/chat/v1/chat/completions', KEYS.chat, body800);
  assert.deepEqual([b.status, code(b.text)], [503, 'server_busy']);
  assert.equal(b.headers.get('retry-after'), '1');
  const chunked = await new Promise<number>((resolve, reject) => {
    const r = http.request(`${url}/d/chat/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.chat}` } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    r.on('error', reject);
    r.write('x'.repeat(300));
  });
  assert.equal(chunked, 503, 'a chunked body is charged as it arrives');
  a.destroy();
  await waitFor(() => gw.bodies.held === 0, { what: 'the abandoned body given back' });
  const c = await post(url, '/d/chat/v1/chat/completions', KEYS.chat, body800);
  assert.equal(c.status, 200, c.text);
  assert.equal(gw.bodies.held, 0, 'an answered request gives its bytes back');
});

test('a replica that sends no headers within the upstream timeout: the request fails over to another replica', async () => {
  const { routes, metrics, url } = await gatewayFor({ upstreamHeadersTimeoutMs: 300 });
  const hang = await hanging();
  const good = await answering();
  // the first listed replica gets the first request (least outstanding, ties from the start of the rotation)
  routes.sync(row('slow'), [at('hang', hang.url), at('good', good.url)]);
  const r = await post(url, '/d/slow/v1/chat/completions', KEYS.slow, { messages: [] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([hang.got, good.got], [1, 1]);
  await waitFor(() => hang.closed === 1, { what: 'the hung upstream request closed' });
  const text = await metrics.registry.metrics();
  assert.match(text, /inferscale_gateway_retries_total\{deployment="slow"\} 1/);
  assert.match(text, /inferscale_gateway_requests_total\{deployment="slow",replica="good",code="200"\} 1/, 'counted once, where it was answered');
  assert.equal(routes.get('slow')!.admission.ongoing, 0, 'both slots given back');
});

test('when every replica hangs, the client gets 504 upstream_timeout instead of waiting forever', async () => {
  const { routes, metrics, url } = await gatewayFor({ upstreamHeadersTimeoutMs: 200 });
  const a = await hanging();
  const b = await hanging();
  routes.sync(row('slow'), [at('a', a.url), at('b', b.url)]);
  const r = await post(url, '/d/slow/v1/chat/completions', KEYS.slow, { messages: [] });
  assert.deepEqual([r.status, code(r.text)], [504, 'upstream_timeout']);
  assert.deepEqual([a.got, b.got], [1, 1]);
  assert.equal(routes.get('slow')!.admission.ongoing, 0);
  assert.match(await metrics.registry.metrics(), /inferscale_gateway_requests_total\{deployment="slow",replica="b",code="504"\} 1/);
});

test('a stream that goes silent longer than the idle timeout ends with an upstream_timeout error event, and its slot is freed', async () => {
  const { routes, url } = await gatewayFor({ upstreamIdleTimeoutMs: 300 });
  const stuck = await hanging({ events: 2 });
  routes.sync(row('slow'), [at('stuck', stuck.url)]);
  const r = await post(url, '/d/slow/v1/chat/completions', KEYS.slow, { messages: [], stream: true });
  assert.equal(r.status, 200);
  const events = r.text.split('\n\n').filter(Boolean);
  assert.equal(events.length, 3, r.text);
  assert.match(events[1], /"t1"/, 'what the replica sent reached the client');
  const last = JSON.parse(events[2].slice('data: '.length));
  assert.deepEqual([last.error.code, last.error.type], ['upstream_timeout', 'server_error']);
  await waitFor(() => stuck.closed === 1, { what: 'the silent upstream request closed' });
  assert.equal(routes.get('slow')!.admission.ongoing, 0);
});

/** A replica that sends its stream's headers and `events` SSE events, then dies (its socket destroyed, as a killed engine's). */
async function dying(events: number): Promise<{ url: string; got: number }> {
  const r = { url: '', got: 0 };
  r.url = await listen((req, res) => {
    r.got++;
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for (let i = 0; i < events; i++) res.write(`data: {"choices":[{"delta":{"content":"t${i}"}}]}\n\n`);
    setTimeout(() => res.socket?.destroy(), 50);
  });
  return r;
}

test('a stream whose replica dies mid-answer ends with an upstream_error event, counted as cut and as a 502 of the replica', async () => {
  const { routes, metrics, url } = await gatewayFor();
  const dead = await dying(2);
  routes.sync(row('chat'), [at('dead', dead.url)]);
  const r = await post(url, '/d/chat/v1/chat/completions', KEYS.chat, { messages: [], stream: true });
  assert.equal(r.status, 200);
  const events = r.text.split('\n\n').filter(Boolean);
  assert.equal(events.length, 3, r.text);
  assert.match(events[1], /"t1"/, 'what the replica sent reached the client');
  const last = JSON.parse(events[2].slice('data: '.length));
  assert.deepEqual([last.error.code, last.error.type], ['upstream_error', 'server_error']);
  const text = await metrics.registry.metrics();
  assert.match(text, /inferscale_gateway_responses_cut_total\{deployment="chat"\} 1/);
  assert.match(text, /inferscale_gateway_requests_total\{deployment="chat",replica="dead",code="502"\} 1/);
  assert.doesNotMatch(text, /replica="dead",code="200"/);
});

test('a stream whose replica dies after its headers, before its first event, is retried on another replica (nothing had reached the client)', async () => {
  const { routes, metrics, url } = await gatewayFor();
  const dead = await dying(0);
  const good = await answering();
  // the first listed replica gets the first request (least outstanding, ties from the start of the rotation)
  routes.sync(row('chat'), [at('dead', dead.url), at('good', good.url)]);
  const r = await post(url, '/d/chat/v1/chat/completions', KEYS.chat, { messages: [], stream: true });
  assert.deepEqual([r.status, r.text], [200, ANSWER]);
  assert.deepEqual([dead.got, good.got], [1, 1]);
  const text = await metrics.registry.metrics();
  assert.match(text, /inferscale_gateway_retries_total\{deployment="chat"\} 1/);
  assert.doesNotMatch(text, /inferscale_gateway_responses_cut_total\{/, 'nothing cut');
});

test('a request that finishes on a replica after it left the deployment brings none of its metric series back', async () => {
  const { routes, metrics, url } = await gatewayFor();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let got = 0;
  const lateUrl = await listen((req, res) => {
    got++;
    req.resume();
    void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER));
  });
  routes.sync(row('chat'), [at('late', lateUrl)]);
  const pending = post(url, '/d/chat/v1/chat/completions', KEYS.chat, { messages: [] });
  await waitFor(() => got === 1, { what: 'the request at the replica' });
  routes.sync(row('chat'), []);
  release();
  assert.equal((await pending).status, 200);
  assert.doesNotMatch(await metrics.registry.metrics(), /replica="late"/);
});

/** A replica that streams `tokens` SSE events with usage, recording the x-request-id it got. */
async function streaming(tokens: number): Promise<{ url: string; ids: (string | undefined)[]; traceparents: (string | undefined)[] }> {
  const r = { url: '', ids: [] as (string | undefined)[], traceparents: [] as (string | undefined)[] };
  r.url = await listen((req, res) => {
    r.ids.push(req.headers['x-request-id'] as string | undefined);
    r.traceparents.push(req.headers.traceparent as string | undefined);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'engine-own-id' });
      for (let i = 0; i < tokens; i++) res.write(`data: {"choices":[{"delta":{"content":"t${i}"}}]}\n\n`);
      res.end(`data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":${tokens}}}\n\ndata: [DONE]\n\n`);
    });
  });
  return r;
}

test("x-request-id: the client's is kept, else one is generated; on every answer (errors too), sent to the replica and written in the request log", async () => {
  const logged: unknown[][] = [];
  const requestLog = { push: (...row: unknown[]) => logged.push(row) } as unknown as RequestLog;
  let n = 0;
  const { routes, url } = await gatewayFor({}, { requestLog, newRequestId: () => `gen-${++n}` });
  const replica = await streaming(3);
  routes.sync(row('chat'), [at('r1', replica.url)]);
  const ask = JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true });
  const send = (headers: Record<string, string>) =>
    fetch(`${url}/d/chat/v1/chat/completions`, { method: 'POST', body: ask, headers: { 'content-type': 'application/json', ...headers } }).then(async (r) => ({
      status: r.status,
      id: r.headers.get('x-request-id'),
      text: await r.text(),
    }));
  const given = await send({ authorization: `Bearer ${KEYS.chat}`, 'x-request-id': 'client-abc-123' });
  assert.deepEqual([given.status, given.id], [200, 'client-abc-123'], "kept, and not replaced by the engine's own header");
  const fresh = await send({ authorization: `Bearer ${KEYS.chat}` });
  assert.deepEqual([fresh.status, fresh.id], [200, 'gen-1']);
  const unsafe = await send({ authorization: `Bearer ${KEYS.chat}`, 'x-request-id': 'a b"c' });
  assert.equal(unsafe.id, 'gen-2', 'an unsafe id is not echoed');
  const denied = await send({ authorization: 'Bearer isk-wrong', 'x-request-id': 'denied-1' });
  assert.deepEqual([denied.status, denied.id], [401, 'denied-1'], 'an error answer carries it too');
  assert.deepEqual(replica.ids, ['client-abc-123', 'gen-1', 'gen-2']);
  await waitFor(() => logged.length === 3);
  assert.deepEqual(
    logged.map((r) => [r[0], r[2], r[3], r[5], r[6]]),
    [
      ['id-chat', 7, 3, 200, 'client-abc-123'],
      ['id-chat', 7, 3, 200, 'gen-1'],
      ['id-chat', 7, 3, 200, 'gen-2'],
    ],
  );
});

test('time per output token: the time after the first token over the tokens after it, for streamed answers of two tokens or more', async () => {
  assert.equal(timePerOutputToken(1100, 100, 11), 0.1);
  assert.equal(timePerOutputToken(1100, 100, 1), undefined);
  assert.equal(timePerOutputToken(1100, undefined, 11), undefined);
  assert.equal(timePerOutputToken(50, 100, 3), 0, 'never negative');
  const { routes, metrics, url } = await gatewayFor();
  const replica = await streaming(5);
  routes.sync(row('chat'), [at('r1', replica.url)]);
  const ok = await post(url, '/d/chat/v1/chat/completions', KEYS.chat, { messages: [], stream: true });
  assert.equal(ok.status, 200, ok.text);
  const text = await metrics.registry.metrics();
  assert.match(text, /inferscale_time_per_output_token_seconds_count\{deployment="chat"\} 1/);
  assert.match(text, /inferscale_build_info\{version="[^"]+",node_version="v\d+[^"]*",commit="[^"]+"\} 1/);
  assert.match(text, /\nprocess_cpu_user_seconds_total /, 'process metrics, under their standard names');
  assert.match(text, /inferscale_gateway_replica_requests_ongoing\{deployment="chat",replica="r1"\} 0/);
});

test('OTLP traces: one GenAI span per request, exported as OTLP/HTTP JSON to the configured collector', async () => {
  assert.equal(otlpTracesUrl({}), undefined, 'off without an endpoint');
  assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }), 'http://c:4318/v1/traces');
  assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' }), 'http://t/x');
  // the collector stand-in: a real HTTP server taking what the exporter posts
  const exports: { path: string; type: string; body: any }[] = [];
  const collector = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const tracer = createGatewayTracer({ url: otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: collector }), scheduledDelayMs: 50 });
  const { routes, url } = await gatewayFor({}, { tracer, newRequestId: () => 'trace-req-1' });
  const replica = await streaming(4);
  routes.sync(row('chat'), [at('r1', replica.url)]);
  // the client's trace context: the span is its child, and the replica's request is the span's child
  const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const ok = await fetch(`${url}/d/chat/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.chat}`, 'content-type': 'application/json', traceparent: `00-${parent.traceId}-${parent.spanId}-01` },
    body: JSON.stringify({ messages: [], stream: true }),
  });
  assert.equal(ok.status, 200);
  await ok.text();
  await waitFor(() => exports.length > 0);
  await tracer.shutdown();
  const e = exports[0];
  assert.equal(e.path, '/v1/traces');
  assert.match(e.type, /application\/json/);
  const rs = e.body.resourceSpans[0];
  const attrs = (list: { key: string; value: Record<string, unknown> }[]) => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));
  assert.equal(attrs(rs.resource.attributes)['service.name'], 'inferscale');
  const span = rs.scopeSpans[0].spans[0];
  assert.equal(span.name, 'chat chat');
  assert.equal(span.kind, 3, 'CLIENT');
  const a = attrs(span.attributes);
  const port = Number(new URL(replica.url).port);
  assert.deepEqual(
    [a['gen_ai.operation.name'], a['gen_ai.request.model'], Number(a['gen_ai.usage.input_tokens']), Number(a['gen_ai.usage.output_tokens'])],
    ['chat', 'chat', 7, 4],
  );
  assert.deepEqual([a['server.address'], Number(a['server.port']), Number(a['http.response.status_code'])], ['127.0.0.1', port, 200]);
  assert.equal(a['inferscale.request.id'], 'trace-req-1');
  assert.deepEqual([span.traceId, span.parentSpanId], [parent.traceId, parent.spanId]);
  assert.deepEqual(replica.traceparents, [`00-${parent.traceId}-${span.spanId}-01`]);
  assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined, 'an all-zero trace id is invalid');
  assert.equal(parseTraceparent('garbage'), undefined);
});
