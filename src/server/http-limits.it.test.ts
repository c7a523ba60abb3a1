import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { chat } from '../test/load.js';
import { httpLimits } from '../domain/limits.js';

// The HTTP server's limits on receiving a request, with short timeouts, against a real server.
let t: TestServer;
before(async () => {
  t = await startTestServer({ http: { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 400, checkIntervalMs: 100 } });
});
after(async () => {
  await t.close();
});

/** Opens a connection, sends `data`, and resolves with what came back once the server closes it (at most 5 s). */
function sendAndWaitClose(data: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(t.url);
    const started = Date.now();
    let text = '';
    const s = net.connect(Number(port), '127.0.0.1', () => s.write(data));
    const guard = setTimeout(() => {
      s.destroy();
      reject(new Error(`connection still open after 5 s; got ${JSON.stringify(text)}`));
    }, 5000);
    s.on('data', (d) => (text += d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(guard);
      resolve({ text, ms: Date.now() - started });
    });
  });
}

test('a client that sends its headers slowly is answered 408 and closed after the headers timeout', async () => {
  const r = await sendAndWaitClose('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
  assert.match(r.text, /^HTTP\/1\.1 408/);
  assert.ok(r.ms >= 350, `closed after ${r.ms} ms`);
});

test('a client that sends its body slowly is closed after the request timeout', async () => {
  const r = await sendAndWaitClose(
    `POST /api/v1/deployments HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${t.server.adminToken}\r\ncontent-length: 100\r\n\r\n{"na`,
  );
  assert.match(r.text, /^HTTP\/1\.1 408/);
  assert.ok(r.ms >= 700, `closed after ${r.ms} ms`);
});

test('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
  const r = await sendAndWaitClose('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 200/);
  assert.ok(r.ms >= 350, `closed after ${r.ms} ms`);
});

test('a streamed answer that lasts longer than the request timeout is not cut: the timeout bounds receiving the request only', async () => {
  const created = await t.api('POST', '/deployments', {
    name: 'long',
    modelName: 'm',
    replicas: 1,
    engineParams: '--startup-seconds 0.1 --ttft-ms 5 --itl-ms 20',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitFor(async () => (await t.api('GET', '/deployments/long')).body.readyReplicas === 1, { what: 'long ready' });
  const started = Date.now();
  const r = await chat(`${t.url}/d/long/v1`, created.body.apiKey, { stream: true, maxTokens: 80 });
  assert.ok(Date.now() - started > 1200, 'the stream outlasted the 800 ms request timeout');
  assert.ok(r.ok, r.error ?? r.body);
});

test('limits are checked before anything starts: a headers timeout above the request timeout is refused', () => {
  assert.throws(() => httpLimits({ headersTimeoutMs: 2000, requestTimeoutMs: 1000 }), /must not exceed/);
  assert.throws(() => httpLimits({ keepAliveTimeoutMs: 0 }), /positive integer/);
});
