import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../test/harness.js';
import { startServerProcess } from './server-process.js';

// Overload at 10x a deployment's capacity for 20 s: the real server process, one engine-simulator replica
// that runs 2 sequences of ~250 ms (capacity ~8 requests/s), a gateway limit of 2 in flight and 8 queued.
// Open-loop arrivals at 80/s. Every request beyond capacity is refused at once with 503 and Retry-After;
// the server's memory stays bounded; afterwards it serves as before. Loopback only; stops by itself.
const SECONDS = 20;
const RATE = 80;
const RSS_BOUND = 300 * 2 ** 20;

test(`overload at 10x capacity for ${SECONDS} s: excess refused with 503 + Retry-After, RSS under ${RSS_BOUND / 2 ** 20} MiB, serving after`, {
  timeout: 120_000,
}, async (ctx) => {
  const s = await startServerProcess({ gpus: 1 });
  try {
    const made = await s.api('POST', '/deployments', {
      name: 'small',
      modelName: 'm',
      replicas: 1,
      gpuCount: 1,
      maxOngoingRequests: 2,
      maxQueuedRequests: 8,
      queueTimeoutMs: 2000,
      engineParams: '--startup-seconds 0.2 --ttft-ms 50 --itl-ms 20 --max-num-seqs 2 --max-waiting 2',
    });
    assert.equal(made.status, 201);
    const key: string = made.body.apiKey;
    await waitFor(async () => (await s.api('GET', '/deployments/small')).body.readyReplicas === 1, { timeoutMs: 30_000, what: 'ready' });
    const ask = async () => {
      const t0 = performance.now();
      try {
        const r = await fetch(`${s.url}/d/small/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello' }], max_tokens: 10 }),
        });
        const body = await r.text();
        return {
          status: r.status,
          retryAfter: r.headers.get('retry-after'),
          code: r.status === 200 ? '' : String(JSON.parse(body).error?.code),
          ms: performance.now() - t0,
        };
      } catch (e) {
        return { status: 0, retryAfter: null, code: String((e as Error).cause ?? e), ms: performance.now() - t0 };
      }
    };
    const baseRss = s.rss();
    let maxRss = baseRss;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, s.rss())), 250);
    const calls: Promise<Awaited<ReturnType<typeof ask>>>[] = [];
    const start = performance.now();
    // open loop: arrivals on a schedule, whatever the answers
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.floor(((performance.now() - start) / 1000) * RATE);
        while (calls.length < due && calls.length < SECONDS * RATE) calls.push(ask());
        if (calls.length >= SECONDS * RATE) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    const results = await Promise.all(calls);
    clearInterval(sampler);
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 503);
    const other = results.filter((r) => r.status !== 200 && r.status !== 503);
    const codes = [...new Set(refused.map((r) => r.code))].sort();
    const refusedMs = refused.map((r) => r.ms).sort((a, b) => a - b);
    const p99 = refusedMs[Math.floor(refusedMs.length * 0.99)] ?? 0;
    ctx.diagnostic(
      `${results.length} requests in ${SECONDS} s: ${ok.length} served (${(ok.length / SECONDS).toFixed(1)}/s), ${refused.length} refused 503 (${codes.join(', ')}; p99 ${p99.toFixed(0)} ms), ${other.length} other; RSS ${(baseRss / 2 ** 20).toFixed(0)} -> max ${(maxRss / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.deepEqual(
      other.map((r) => `${r.status} ${r.code}`),
      [],
      'only 200 and 503',
    );
    assert.ok(refused.length > results.length / 2, 'most of 10x capacity is refused');
    assert.ok(ok.length >= SECONDS * 4, `the replica kept serving near its capacity: ${ok.length}`);
    assert.ok(
      refused.every((r) => r.retryAfter !== null && Number(r.retryAfter) >= 1),
      'every 503 says when to retry',
    );
    assert.ok(
      codes.every((c) => c === 'queue_full' || c === 'queue_timeout'),
      codes.join(','),
    );
    assert.ok(maxRss < RSS_BOUND, `RSS ${maxRss}`);
    // afterwards: as before
    await waitFor(async () => (await s.api('GET', '/deployments/small')).status === 200);
    for (let i = 0; i < 5; i++) assert.equal((await ask()).status, 200);
  } finally {
    await s.close();
  }
});
