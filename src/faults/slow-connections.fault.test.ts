import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { waitFor } from '../test/harness.js';
import { startServerProcess } from './server-process.js';

// 2,000 slow unauthenticated connections (each sends a request line and then one header byte a second,
// never finishing its headers) held open against the real server process, while a keyed request and
// /healthz are timed. Bound asserted generously (2 s); the measured figures go to docs/reliability.md.
const CONNECTIONS = 2000;
const BOUND_MS = 2000;

test(`${CONNECTIONS} slow unauthenticated connections: a keyed request and /healthz still answer quickly`, { timeout: 120_000 }, async (ctx) => {
  const s = await startServerProcess({ gpus: 1 });
  const sockets: Socket[] = [];
  let trickle: NodeJS.Timeout | undefined;
  try {
    const made = await s.api('POST', '/deployments', {
      name: 'busy',
      modelName: 'm',
      replicas: 1,
      gpuCount: 1,
      engineParams: '--startup-seconds 0.2 --ttft-ms 5 --itl-ms 2',
    });
    const key: string = made.body.apiKey;
    await waitFor(async () => (await s.api('GET', '/deployments/busy')).body.readyReplicas === 1, { timeoutMs: 30_000, what: 'ready' });
    const port = s.port;
    let closedEarly = 0;
    for (let i = 0; i < CONNECTIONS; i += 200) {
      await Promise.all(
        Array.from(
          { length: Math.min(200, CONNECTIONS - i) },
          () =>
            new Promise<void>((resolve, reject) => {
              const c = connect(port, '127.0.0.1', () => {
                c.write(`POST /d/busy/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
                resolve();
              });
              c.on('error', reject);
              c.on('close', () => closedEarly++);
              sockets.push(c);
            }),
        ),
      );
    }
    trickle = setInterval(() => {
      for (const c of sockets) if (!c.destroyed) c.write('a');
    }, 1000);
    const time = async (f: () => Promise<number>) => {
      const t0 = performance.now();
      const status = await f();
      return { status, ms: performance.now() - t0 };
    };
    const healthz: { status: number; ms: number }[] = [];
    const keyed: { status: number; ms: number }[] = [];
    for (let i = 0; i < 20; i++) {
      healthz.push(await time(() => fetch(`${s.url}/healthz`).then(async (r) => (await r.text(), r.status))));
      keyed.push(
        await time(() =>
          fetch(`${s.url}/d/busy/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
          }).then(async (r) => (await r.text(), r.status)),
        ),
      );
    }
    const open = sockets.filter((c) => !c.destroyed).length;
    const stat = (xs: { ms: number }[]) => {
      const ms = xs.map((x) => x.ms).sort((a, b) => a - b);
      return { p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] };
    };
    const h = stat(healthz);
    const k = stat(keyed);
    ctx.diagnostic(
      `${open} of ${CONNECTIONS} slow connections open; /healthz p50 ${h.p50.toFixed(1)} ms, max ${h.max.toFixed(1)} ms; keyed request (2 tokens) p50 ${k.p50.toFixed(1)} ms, max ${k.max.toFixed(1)} ms; server RSS ${(s.rss() / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.equal(open, CONNECTIONS, `all held (${closedEarly} closed early)`);
    assert.ok(healthz.every((x) => x.status === 200) && keyed.every((x) => x.status === 200));
    assert.ok(h.max < BOUND_MS && k.max < BOUND_MS, `healthz max ${h.max} ms, keyed max ${k.max} ms`);
  } finally {
    clearInterval(trickle);
    for (const c of sockets) c.destroy();
    await s.close();
  }
});
