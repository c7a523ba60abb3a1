import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { EngineScraper } from './engine-scraper.js';
import { GatewayMetrics } from './metrics.js';
import { ReplicaRoute } from './route-table.js';

// The scraper against real HTTP servers standing for engines: what it reads, and its bounds.
const servers: http.Server[] = [];
const replicas: ReplicaRoute[] = [];
after(async () => {
  servers.forEach((s) => s.closeAllConnections());
  servers.forEach((s) => s.close());
  await Promise.all(replicas.map((r) => r.pool.close().catch(() => undefined)));
});

async function engine(handler: http.RequestListener): Promise<{ replica: ReplicaRoute; hits: () => number }> {
  let hits = 0;
  const s = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const replica = new ReplicaRoute('r1', `http://127.0.0.1:${(s.address() as AddressInfo).port}`, 'd', new GatewayMetrics());
  replica.update('ready');
  replicas.push(replica);
  return { replica, hits: () => hits };
}

const scraper = (r: ReplicaRoute, o: { timeoutMs?: number; maxBytes?: number } = {}) => new EngineScraper({ clock: systemClock, replicas: () => [r], ...o });

test("a ready replica's vLLM metrics become its engine signals; a replica that is not ready has none and is not asked", async () => {
  const { replica, hits } = await engine((_q, res) =>
    res.end('vllm:num_requests_running{model_name="m"} 2.0\nvllm:num_requests_waiting{model_name="m"} 7.0\nvllm:kv_cache_usage_perc{model_name="m"} 0.5\n'),
  );
  const s = scraper(replica);
  await Promise.all(s.round());
  assert.deepEqual(replica.engine, { running: 2, waiting: 7, kvCacheUsage: 0.5 });
  replica.update('draining');
  await Promise.all(s.round());
  assert.equal(replica.engine, undefined);
  assert.equal(hits(), 1);
});

test('an answer over the size bound, a non-200 answer and a slow engine leave no signals', async () => {
  const big = await engine((_q, res) => res.end(`vllm:num_requests_waiting 1\n${'#'.repeat(4096)}`));
  big.replica.engine = { running: 1, waiting: 1 };
  await Promise.all(scraper(big.replica, { maxBytes: 1024 }).round());
  assert.equal(big.replica.engine, undefined);

  const missing = await engine((_q, res) => res.writeHead(404).end());
  missing.replica.engine = { running: 1, waiting: 1 };
  await Promise.all(scraper(missing.replica).round());
  assert.equal(missing.replica.engine, undefined);

  const slow = await engine(() => undefined);
  slow.replica.engine = { running: 1, waiting: 1 };
  const t0 = Date.now();
  await Promise.all(scraper(slow.replica, { timeoutMs: 100 }).round());
  assert.equal(slow.replica.engine, undefined);
  assert.ok(Date.now() - t0 < 2000);
});

test('at most one scrape in flight per replica: a round while one hangs starts none', async () => {
  const { replica, hits } = await engine(() => undefined);
  const s = scraper(replica, { timeoutMs: 300 });
  const first = s.round();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.round().length, 0);
  await Promise.all(first);
  assert.equal(hits(), 1);
});

test('the engine series are on /metrics with deployment and replica labels, and go with the replica', async () => {
  const replica = { id: 'r9', inflight: 0, engine: { running: 1, waiting: 4, kvCacheUsage: 0.25 } };
  let live = [{ name: 'chat', ongoing: 5, queued: 0, replicas: [replica] }];
  const metrics = new GatewayMetrics({ live: () => live });
  const text = await metrics.registry.metrics();
  assert.match(text, /inferscale_engine_requests_waiting\{deployment="chat",replica="r9"\} 4/);
  assert.match(text, /inferscale_engine_requests_running\{deployment="chat",replica="r9"\} 1/);
  assert.match(text, /inferscale_engine_kv_cache_usage_ratio\{deployment="chat",replica="r9"\} 0.25/);
  live = [{ name: 'chat', ongoing: 0, queued: 0, replicas: [] }];
  assert.doesNotMatch(await metrics.registry.metrics(), /inferscale_engine_requests_waiting\{/);
});
