import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { waitFor } from '../test/harness.js';
import { httpStatusFor, type ErrorCode } from '../core/errors.js';
import { startServerProcess } from './server-process.js';
import { mulberry32 } from '../simulator/random.js';

// 10,000 fuzzed requests to the API and the gateway of the real server process, over raw TCP (so
// malformed request lines, headers and bodies reach it as sent): malformed JSON, wrong types, huge and
// many headers, odd methods, paths and encodings. Seeded (FUZZ_SEED) and reproducible. The server must not
// crash, answer no 5xx other than a capacity 503, and give every 4xx a stable error code.
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 14);
const CAPACITY_503 = new Set(['queue_full', 'queue_timeout', 'no_ready_replica', 'deployment_starting', 'deployment_stopped', 'server_busy']);
/** the codes a replica's engine answers with (src/engines/sim/openai-requests.ts), passed through by the gateway */
const ENGINE_CODES = new Set([
  'invalid_value',
  'body',
  'engine_draining',
  'engine_overloaded',
  'invalid_api_key',
  'method_not_allowed',
  'model_loading',
  'not_found',
]);
/** every code the server may answer with: the one table of src/core/errors.ts, and the engines' */
const KNOWN = (code: unknown) =>
  typeof code === 'string' &&
  (ENGINE_CODES.has(code) ||
    (() => {
      try {
        return httpStatusFor(code as ErrorCode) !== undefined;
      } catch {
        return false;
      }
    })());

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  error?: string;
}

/** Sends raw bytes, reads the answer to the end (Connection: close); no answer within 5 s is an error. */
function raw(port: number, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // written, not ended: a half-closed connection may lose an answer that is still being prepared
    const c = connect(port, '127.0.0.1', () => c.write(bytes));
    const timer = setTimeout(() => {
      c.destroy();
      finish('no answer within 5 s');
    }, 5000);
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      let all: Buffer = Buffer.concat(chunks);
      // interim answers (100 Continue) come before the real one
      while (/^HTTP\/1\.[01] 1\d\d /.test(all.subarray(0, 13).toString('latin1')) && all.indexOf('\r\n\r\n') >= 0)
        all = all.subarray(all.indexOf('\r\n\r\n') + 4);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return resolve({ status: 0, headers: {}, body: all, error: error ?? `no response (${all.length} bytes)` });
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      let body: Buffer = all.subarray(end + 4);
      if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
      // the first answer only (bytes sent after a request may be answered as another)
      else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
      resolve({ status, headers, body, error });
    };
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => finish());
    c.on('error', (e) => finish((e as NodeJS.ErrnoException).code));
    c.on('close', () => finish());
  });
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = b.indexOf('\r\n', i);
    if (nl < 0) break;
    const n = parseInt(b.subarray(i, nl).toString('latin1'), 16);
    if (!n) break;
    out.push(b.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(out);
}

test(`${COUNT} fuzzed API and gateway requests: no crash, no 5xx but capacity 503s, every 4xx with a stable code`, { timeout: 180_000 }, async (ctx) => {
  const s = await startServerProcess({ gpus: 1, env: { INFERSCALE_HF_ENDPOINT: 'http://127.0.0.1:9' } });
  try {
    const made = await s.api('POST', '/deployments', {
      name: 'fz',
      modelName: 'm',
      replicas: 1,
      gpuCount: 1,
      maxOngoingRequests: 4,
      maxQueuedRequests: 4,
      queueTimeoutMs: 500,
      engineParams: '--startup-seconds 0.2 --ttft-ms 2 --itl-ms 1',
    });
    const key: string = made.body.apiKey;
    await waitFor(async () => (await s.api('GET', '/deployments/fz')).body.readyReplicas === 1, { timeoutMs: 30_000, what: 'ready' });
    const token = s.token();
    const r = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const names = ['fz', 'nope', 'FZ', 'a'.repeat(300), '..', '%2e%2e', 'fz%00', 'ü', '', 'fz;drop'];
    const paths = () =>
      pick([
        '/api/v1/deployments',
        `/api/v1/deployments/${pick(names)}`,
        `/api/v1/deployments/${pick(names)}/scale`,
        `/api/v1/deployments/${pick(names)}/rotate-api-key`,
        `/api/v1/deployments/${pick(names)}/autoscale`,
        `/api/v1/deployments/${pick(names)}/events?limit=${pick(['-1', 'x', '1e9', ''])}`,
        `/api/v1/deployments/${pick(names)}/logs?tail=${pick(['0', 'abc', '99999'])}`,
        '/api/v1/limits/gpu',
        `/api/v1/limits/gpu/${pick(names)}`,
        '/api/v1/models',
        `/api/v1/models/${pick(names)}`,
        '/api/v1/gpus',
        '/api/v1/health',
        '/api/v1/health/../deployments',
        '/api/v1/%2e%2e/deployments',
        '/api/v1//deployments',
        '/api/v1/deployments/%zz',
        '/api/v1/cluster',
        '/api/v1/internal/gateway-signals',
        `/d/${pick(names)}/v1/chat/completions`,
        `/d/${pick(names)}/v1/completions`,
        `/d/${pick(names)}/v1/models`,
        `/d/${pick(names)}/v1/embeddings`,
        '/d/fz/v1/../../api/v1/deployments',
        '/v1/chat/completions',
        '/v1/models',
        '/v1/completions',
        '/metrics',
        '/healthz',
        '/',
        '/ui/x',
        '/%',
        '//',
        '/..',
        '*',
        'http://127.0.0.1/v1/models',
        `/${'x'.repeat(pick([10, 5000, 70_000]))}`,
      ]);
    const auths = () =>
      pick([undefined, `Bearer ${token}`, `Bearer ${key}`, 'Bearer ', 'Bearer isk-wrong', 'Basic Zm9vOmJhcg==', `Bearer ${'k'.repeat(5000)}`, 'Bearer \u00ff']);
    const str = () =>
      pick([
        '',
        'x',
        'a'.repeat(3000),
        '\u0000',
        '../../etc/passwd',
        '169.254.169.254',
        '\ud800',
        'hf:org/repo',
        'http://127.0.0.1:9/m.gguf',
        '/etc/passwd',
        '${x}',
        '\'"`',
      ]);
    const val = (): unknown =>
      pick([
        () => str(),
        () => r() * 1e6 - 5e5,
        () => pick([0, -1, 1, 1e309, 2 ** 53, 0.5, NaN]),
        () => null,
        () => true,
        () => [],
        () => ({}),
        () => [val()],
        () => ({ a: val() }),
      ])();
    const bodies = () => {
      const k = Math.floor(r() * 10);
      if (k === 0) return pick(['', '{', '{"a":', 'null', '[]', '"x"', '1', '{"model":}', '\xff\xfe', '{'.repeat(5000), 'x'.repeat(100_000)]);
      if (k === 1) return JSON.stringify({ __proto__: { admin: true }, constructor: { prototype: { x: 1 } }, name: str() });
      if (k <= 4)
        return JSON.stringify({
          model: pick(['fz', 'm', 'x', 1, null]),
          messages: pick([[{ role: 'user', content: val() }], val(), []]),
          max_tokens: val(),
          stream: val(),
          prompt: val(),
          input: val(),
          n: val(),
        });
      if (k <= 7)
        return JSON.stringify({
          name: pick([...names, val()]),
          modelName: val(),
          replicas: val(),
          gpuCount: val(),
          engine: pick(['sim', 'vllm', 'x', val()]),
          engineParams: pick(['', '--port 1', '--api-key=x', "--x '", val()]),
          labels: val(),
          graceSeconds: val(),
          minReplicas: val(),
          maxReplicas: val(),
          max: val(),
          from: str(),
        });
      return JSON.stringify(val());
    };
    const requests = (): Buffer => {
      const method =
        r() < 0.05
          ? pick(['TRACE', 'FOO', 'G E T', 'CONNECT', 'get'])
          : pick(['GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
      let path = paths();
      // no valid admin DELETE of the deployment the gateway paths use, and nothing that fetches from elsewhere
      const auth = auths();
      if (auth === `Bearer ${token}` && method === 'DELETE' && path.includes('/fz')) path = '/api/v1/deployments/nope';
      const body = method === 'GET' || method === 'HEAD' ? pick(['', '', bodies()]) : bodies();
      const bodyBuf = Buffer.from(body, pick(['utf8', 'utf8', 'latin1'] as const));
      const h: string[] = ['Host: 127.0.0.1', 'Connection: close'];
      if (auth !== undefined) h.push(`Authorization: ${auth}`);
      const cl = Math.floor(r() * 30);
      if (cl === 0) h.push('Transfer-Encoding: chunked');
      else if (cl === 1) h.push(`Content-Length: ${pick(['abc', '-1', '1e3', ' ', '99999999999999999999'])}`);
      else if (cl === 2) h.push(`Content-Length: ${bodyBuf.length}`, `Content-Length: ${bodyBuf.length + 1}`);
      else if (cl !== 3) h.push(`Content-Length: ${bodyBuf.length}`);
      const hx = Math.floor(r() * 40);
      if (hx === 0) h.push(`X-Big: ${'b'.repeat(pick([9000, 20_000, 70_000]))}`);
      if (hx === 1) for (let i = 0; i < 300; i++) h.push(`X-Many-${i}: ${i}`);
      if (hx === 2) h.push('Content-Type: text/plain; charset=\u00ff');
      if (hx === 3) h.push('Bad Header: x', 'X-Ctl: a\x01b');
      if (hx === 4) h.push('Expect: 100-continue');
      if (hx >= 5)
        h.push(
          `Content-Type: ${pick(['application/json', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16'])}`,
        );
      const version = r() < 0.9 ? 'HTTP/1.1' : pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9', '']);
      const head = Buffer.from(`${method} ${path} ${version}\r\n${h.join('\r\n')}\r\n\r\n`, 'latin1');
      return Buffer.concat([head, cl === 0 ? Buffer.from(`${bodyBuf.length.toString(16)}\r\n${bodyBuf.toString('latin1')}\r\n0\r\n\r\n`, 'latin1') : bodyBuf]);
    };
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let noAnswer = 0;
    let sent = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 24 }, async () => {
        while (sent < COUNT) {
          const n = sent++;
          const req = requests();
          const a = await raw(s.port, req);
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          const what = () =>
            `#${n} ${req.subarray(0, 120).toString('latin1').split('\r\n')[0]} -> ${a.status} ${a.error ?? ''} ${a.body.subarray(0, 200).toString()}`;
          if (a.status === 0) {
            noAnswer++;
            failures.push(`no answer: ${what()} ${JSON.stringify(req.subarray(0, 300).toString('latin1'))}`);
            continue;
          }
          if (a.status >= 400 && req.subarray(0, 5).toString() !== 'HEAD ') {
            let code: unknown;
            try {
              code = JSON.parse(a.body.toString()).error?.code;
            } catch {
              code = undefined;
            }
            if (!KNOWN(code)) failures.push(`no stable code: ${what()}`);
            else if (a.status >= 500 && !(a.status === 503 && CAPACITY_503.has(code as string))) failures.push(`5xx: ${what()}`);
          } else if (a.status >= 500) failures.push(`5xx: ${what()}`);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const alive =
      s.child.exitCode === null &&
      (await fetch(`${s.url}/healthz`).then(
        (x) => x.status,
        () => 0,
      )) === 200;
    const gateway = await fetch(`${s.url}/d/fz/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }),
    }).then(
      (x) => x.status,
      () => 0,
    );
    ctx.diagnostic(
      `${COUNT} requests (seed ${SEED}) in ${seconds.toFixed(1)} s; statuses ${[...statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}; ${failures.length} failures, ${noAnswer} without an answer; server alive: ${alive}`,
    );
    assert.ok(alive, 'the server did not crash');
    assert.equal(gateway, 200, 'and still serves');
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  } finally {
    await s.close();
  }
});
