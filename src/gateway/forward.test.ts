import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { forwardToReplica, type ForwardResult } from './forward.js';
import { GatewayMetrics } from './metrics.js';
import { ReplicaRoute } from './routes.js';

// forwardToReplica over real sockets: an upstream "engine" that answers as the test says, and a front
// server that forwards every request to it, recording the outcome.
const servers: http.Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function listen(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function through(status: number, body: string): Promise<{ result: ForwardResult; status: number; text: string }> {
  const upstream = await listen((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  const replica = new ReplicaRoute('r1', upstream, 'd', new GatewayMetrics());
  let result!: ForwardResult;
  const front = await listen((req, res) => {
    forwardToReplica({ res, replica, path: '/v1/completions', body: Buffer.from('{}'), streaming: false, clock: systemClock, start: systemClock.now() }, (r) => {
      result = r;
      // what the gateway does with a refusal: answers from elsewhere (here: a marker the test can see)
      if (r.kind === 'refused') res.writeHead(299).end('retried elsewhere');
    });
  });
  const res = await fetch(`${front}/`, { method: 'POST', body: '{}' });
  const text = await res.text();
  await replica.pool.close();
  return { result, status: res.status, text };
}

test('a 503 "engine is shutting down" is a refusal: nothing reaches the client, the gateway may retry elsewhere', async () => {
  const r = await through(503, JSON.stringify({ error: { message: 'engine is shutting down', type: 'server_error', code: 'engine_draining' } }));
  assert.deepEqual(r.result, { kind: 'refused', status: 503 });
  assert.deepEqual([r.status, r.text], [299, 'retried elsewhere']);
});

test('a 503 "model is still loading" is a refusal too', async () => {
  const r = await through(503, JSON.stringify({ error: { message: 'model m is still loading', type: 'server_error', code: 'model_loading' } }));
  assert.equal(r.result.kind, 'refused');
});

test('any other 503 is the engine\'s answer and reaches the client whole', async () => {
  const body = JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: 'overloaded' } });
  const r = await through(503, body);
  assert.deepEqual(r.result, { kind: 'ok', status: 503 });
  assert.deepEqual([r.status, r.text], [503, body]);
});

test('a 200 answer passes through with its token usage read', async () => {
  const body = JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 } });
  const r = await through(200, body);
  assert.deepEqual([r.result.kind, r.result.promptTokens, r.result.completionTokens], ['ok', 3, 7]);
  assert.deepEqual([r.status, r.text], [200, body]);
});
