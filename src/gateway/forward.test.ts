import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { forwardToReplica, type ForwardResult } from './forward.js';
import { GatewayMetrics } from './metrics.js';
import { ReplicaRoute } from './route-table.js';
import { waitFor } from '../test/harness.js';

// forwardToReplica over real sockets: an upstream "engine" that answers as the test says, and a front
// server that forwards every request to it, recording the outcome.
const servers: http.Server[] = [];
const TIMEOUTS = { headersTimeoutMs: 60_000, idleTimeoutMs: 60_000 };
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
    forwardToReplica(
      { res, replica, path: '/v1/completions', body: Buffer.from('{}'), streaming: false, clock: systemClock, start: systemClock.now(), ...TIMEOUTS },
      (r) => {
        result = r;
        // what the gateway does with a refusal: answers from elsewhere (here: a marker the test can see)
        if (r.kind === 'refused') res.writeHead(299).end('retried elsewhere');
      },
    );
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

test("any other 503 is the engine's answer and reaches the client whole", async () => {
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

test('a client that leaves a stream unread for longer than the idle timeout is cut, and the replica request aborted (its slot comes back)', async () => {
  let upstreamClosed = false;
  const chunk = `data: ${'x'.repeat(64 * 1024)}\n\n`;
  const upstream = await listen((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.on('close', () => (upstreamClosed = true));
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  const replica = new ReplicaRoute('r1', upstream, 'd', new GatewayMetrics());
  let result: ForwardResult | undefined;
  const front = await listen((_req, res) => {
    forwardToReplica(
      {
        res,
        replica,
        path: '/v1/completions',
        body: Buffer.from('{}'),
        streaming: true,
        clock: systemClock,
        start: systemClock.now(),
        headersTimeoutMs: 60_000,
        idleTimeoutMs: 300,
      },
      (r) => (result = r),
    );
  });
  const { port } = new URL(front);
  const client = net.connect(Number(port), '127.0.0.1');
  client.on('error', () => undefined);
  client.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}');
  client.pause(); // never reads: the gateway's writes back up
  await waitFor(() => result !== undefined, { what: 'the stalled response given up', timeoutMs: 10_000 });
  assert.equal(result!.kind, 'aborted');
  await waitFor(() => upstreamClosed, { what: 'the replica request aborted' });
  client.destroy();
  await replica.pool.close();
});

/**
 * An upstream that answers 200 with `head` (after writing the headers) and then dies: its socket is destroyed,
 * as when a reclaimed pod's engine is killed. Returns what the client saw and the outcome.
 */
async function dying(streaming: boolean, head: string): Promise<{ result: ForwardResult; status: number; text: string }> {
  const upstream = await listen((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': streaming ? 'text/event-stream' : 'application/json' });
    res.flushHeaders();
    if (head) res.write(head);
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const replica = new ReplicaRoute('r1', upstream, 'd', new GatewayMetrics());
  let result!: ForwardResult;
  const front = await listen((_req, res) => {
    forwardToReplica(
      { res, replica, path: '/v1/completions', body: Buffer.from('{}'), streaming, clock: systemClock, start: systemClock.now(), ...TIMEOUTS },
      (r) => {
        result = r;
        if (r.kind === 'refused') res.writeHead(299).end('retried elsewhere');
      },
    );
  });
  const res = await fetch(`${front}/`, { method: 'POST', body: '{}' });
  const text = await res.text().catch((e: Error) => `client error: ${e.message}`);
  await replica.pool.close();
  return { result, status: res.status, text };
}

test('a stream whose engine dies after its headers but before its first event: nothing reached the client, a refusal to retry elsewhere', async () => {
  const r = await dying(true, '');
  assert.deepEqual(r.result, { kind: 'refused', status: 502 });
  assert.deepEqual([r.status, r.text], [299, 'retried elsewhere']);
});

test('a non-streamed answer whose engine dies after its headers, before its end: a refusal to retry elsewhere', async () => {
  const r = await dying(false, '{"choices":[');
  assert.deepEqual(r.result, { kind: 'refused', status: 502 });
  assert.deepEqual([r.status, r.text], [299, 'retried elsewhere']);
});

test('a stream whose engine dies mid-answer: the events sent so far, then an error event naming the cut; the outcome says cut', async () => {
  const events = 'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[{"delta":{"content":"b"}}]}\n\n';
  const r = await dying(true, events);
  assert.deepEqual([r.result.kind, r.result.cut, r.status], ['failed', true, 200]);
  assert.ok(r.text.startsWith(events), r.text);
  const last = JSON.parse(r.text.slice(events.length).replace(/^data: /, ''));
  assert.equal(last.error.code, 'upstream_error');
  assert.match(last.error.message, /^replica r1: the stream ended early: its engine went away after 2 events \(\w+\); the answer is incomplete$/);
});
