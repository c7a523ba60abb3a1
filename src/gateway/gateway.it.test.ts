import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { chat, steadyLoad, parseMetrics, sumMetric } from '../test/load.js';
import type { LoadSample } from '../autoscaler/types.js';

// The gateway against real engine-simulator replica processes.
let t: TestServer;
before(async () => {
  t = await startTestServer({ virtualGpus: 32 });
});
after(async () => {
  await t.close();
});

async function deploy(name: string, replicas: number, extra: Record<string, unknown> = {}, params = '--startup-seconds 0.1 --ttft-ms 5 --itl-ms 20') {
  const r = await t.api('POST', '/deployments', { name, modelName: 'm', replicas, engineParams: params, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitFor(async () => (await t.api('GET', `/deployments/${name}`)).body.readyReplicas === replicas, { what: `${name} ready` });
  return { url: `${t.url}/d/${name}/v1`, key: r.body.apiKey as string };
}
const metrics = async () => parseMetrics(await (await fetch(`${t.url}/metrics`)).text());

test('least outstanding routing spreads concurrent streams evenly over replicas', async () => {
  const { url, key } = await deploy('spread', 2);
  const results = await Promise.all(Array.from({ length: 10 }, () => chat(url, key, { stream: true, maxTokens: 20 })));
  assert.ok(
    results.every((r) => r.ok),
    JSON.stringify(results.find((r) => !r.ok)),
  );
  const m = await metrics();
  const per = (await t.api('GET', '/deployments/spread')).body.replicaDetails.map((r: any) =>
    sumMetric(m, 'inferscale_gateway_requests_total', (l) => l.includes(`replica="${r.id}"`)),
  );
  assert.deepEqual(per.sort(), [5, 5]);
});

test('the queue bound and timeout hold: 503 with a stable code and Retry-After, never a hang', async () => {
  // the queued pair must be seen (by polling /metrics) and the third refused within the queue timeout, and the
  // long stream must outlast it: 2 s and 5 s leave room on a loaded machine
  const { url, key } = await deploy('tight', 1, { maxOngoingRequests: 1, maxQueuedRequests: 2, queueTimeoutMs: 2000 });
  const long = chat(url, key, { stream: true, maxTokens: 250 });
  await waitFor(async () => sumMetric(await metrics(), 'inferscale_gateway_requests_ongoing', (l) => l.includes('tight')) === 1);
  const queued = [chat(url, key), chat(url, key)];
  await waitFor(async () => sumMetric(await metrics(), 'inferscale_gateway_requests_queued', (l) => l.includes('tight')) === 2);
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(res.status, 503);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  const body = await res.json();
  assert.equal(body.error.code, 'queue_full');
  assert.equal(body.error.type, 'server_error');
  const timedOut = await Promise.all(queued);
  for (const r of timedOut) {
    assert.equal(r.status, 503);
    assert.equal(JSON.parse(r.body).error.code, 'queue_timeout');
  }
  assert.ok((await long).ok);
});

test('a client that disconnects aborts the upstream request', async () => {
  const { url, key } = await deploy('abort', 1);
  const ac = new AbortController();
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'm', stream: true, max_tokens: 500, messages: [{ role: 'user', content: 'x' }] }),
    signal: ac.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort();
  const port = (await t.api('GET', '/deployments/abort')).body.replicaDetails[0].port;
  await waitFor(
    async () => {
      const m = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      return sumMetric(m, 'inferscale_sim_aborted_total') === 1 && sumMetric(m, 'vllm:num_requests_running') === 0;
    },
    { what: 'the replica saw the abort and freed its slot' },
  );
});

test("real streams give the autoscaler's samples the wait for a slot, prefill, completions and inter-token latency", async () => {
  const { url, key } = await deploy('signals', 1, { maxOngoingRequests: 1 }, '--startup-seconds 0.1 --ttft-ms 30 --itl-ms 20 --jitter 0');
  const id = t.server.store.getDeploymentByName('signals')!.id;
  const seen: LoadSample[] = [];
  t.server.observability.sampler.onSample((d, s) => void (d === id && seen.push(s)));
  // one slot: the second stream waits for the first one's 20 tokens (~400 ms) before it is dispatched
  const results = await Promise.all([chat(url, key, { stream: true, maxTokens: 20 }), chat(url, key, { stream: true, maxTokens: 20 })]);
  assert.ok(
    results.every((r) => r.ok),
    JSON.stringify(results),
  );
  await waitFor(() => seen.reduce((n, s) => n + (s.completions ?? 0), 0) === 2, { what: 'both completions sampled' });
  const firstTokens = seen.filter((s) => s.waitP95Ms !== undefined);
  const finished = seen.filter((s) => s.completions);
  assert.ok(Math.max(...firstTokens.map((s) => s.waitP95Ms!)) >= 300, `the queued stream waited for the first: ${JSON.stringify(firstTokens)}`);
  for (const s of firstTokens) {
    assert.ok(s.prefillMs! >= 25 && s.prefillMs! < 1_000, `prefill is TTFT minus the wait: ${JSON.stringify(s)}`);
    assert.ok(s.ttftP95Ms! >= s.waitP95Ms! + 25);
    assert.ok(s.promptTokens! > 0);
  }
  for (const s of finished) {
    assert.ok(s.itlMs! >= 18 && s.itlMs! < 200, `inter-token latency near --itl-ms 20: ${JSON.stringify(s)}`);
    assert.ok(s.serviceMs! >= 30 + 19 * 20, `slot time from dispatch to the last token: ${JSON.stringify(s)}`);
  }
});

test('a client that gives up while queued frees its queue slot at once', async () => {
  const { url, key } = await deploy('leave', 1, { maxOngoingRequests: 1, maxQueuedRequests: 1, queueTimeoutMs: 60_000 });
  const queuedNow = async () => sumMetric(await metrics(), 'inferscale_gateway_requests_queued', (l) => l.includes('"leave"'));
  const ongoingNow = async () => sumMetric(await metrics(), 'inferscale_gateway_requests_ongoing', (l) => l.includes('"leave"'));
  const long = chat(url, key, { stream: true, maxTokens: 250 });
  await waitFor(async () => (await ongoingNow()) === 1);
  const ac = new AbortController();
  const gaveUp = fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    signal: ac.signal,
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }),
  }).catch((e: Error) => e);
  await waitFor(async () => (await queuedNow()) === 1, { what: 'one queued' });
  ac.abort();
  await gaveUp;
  await waitFor(async () => (await queuedNow()) === 0, { what: 'the slot freed' });
  assert.equal(await ongoingNow(), 1, 'freed while the long request still holds the replica, not when it ends');
  const next = chat(url, key, { maxTokens: 2 });
  await waitFor(async () => (await queuedNow()) === 1, { what: 'the next request queued, not refused as queue_full' });
  assert.ok((await long).ok);
  assert.ok((await next).ok);
});

test('a replica killed mid-run loses only its started requests; later requests go elsewhere', async () => {
  const { url, key } = await deploy('crash', 2, { maxOngoingRequests: 4 });
  const victim = (await t.api('GET', '/deployments/crash')).body.replicaDetails[0];
  const inflight = Array.from({ length: 6 }, () => chat(url, key, { stream: true, maxTokens: 100 }));
  await waitFor(async () => sumMetric(await metrics(), 'inferscale_gateway_replica_requests_ongoing', (l) => l.includes(victim.id)) >= 1);
  const onVictim = sumMetric(await metrics(), 'inferscale_gateway_replica_requests_ongoing', (l) => l.includes(victim.id));
  process.kill(victim.pid, 'SIGKILL');
  const after = await Promise.all(Array.from({ length: 8 }, () => chat(url, key, { maxTokens: 2 })));
  assert.ok(
    after.every((r) => r.ok),
    `requests sent after the kill: ${JSON.stringify(after.filter((r) => !r.ok))}`,
  );
  const first = await Promise.all(inflight);
  const failed = first.filter((r) => !r.ok).length;
  assert.ok(failed <= onVictim, `${failed} failed, ${onVictim} were on the killed replica`);
  await waitFor(async () => (await t.api('GET', '/deployments/crash')).body.readyReplicas === 2, { what: 'replacement ready' });
});

test('scaling down under steady streaming load fails zero requests', async () => {
  const { url, key } = await deploy('drain', 3, { maxOngoingRequests: 8 });
  let release!: () => void;
  const stop = new Promise<void>((r) => (release = r));
  const load = steadyLoad(6, () => chat(url, key, { stream: true, maxTokens: 15 }), stop);
  await waitFor(async () => sumMetric(await metrics(), 'inferscale_gateway_requests_total', (l) => l.includes('"drain"')) >= 20);
  const scaled = await t.api('POST', '/deployments/drain/scale', { replicas: 1 });
  assert.equal(scaled.status, 200);
  await waitFor(
    async () => {
      const d = (await t.api('GET', '/deployments/drain')).body;
      return d.replicaDetails.filter((r: any) => r.state !== 'failed').length === 1;
    },
    { what: 'two replicas drained and stopped', timeoutMs: 20_000 },
  );
  await waitFor(async () => sumMetric(await metrics(), 'inferscale_gateway_requests_total', (l) => l.includes('"drain"')) >= 60);
  release();
  const results = await load;
  const bad = results.filter((r) => !r.ok);
  assert.equal(bad.length, 0, `failed: ${JSON.stringify(bad.slice(0, 3))}`);
  assert.ok(results.length >= 40);
  const events = (await t.api('GET', '/deployments/drain/events')).body.events.map((e: any) => e.message).join('\n');
  assert.match(events, /stopped after draining/);
});

test('bad requests get OpenAI-shaped 4xx errors', async () => {
  const { url, key } = await deploy('bad', 1);
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body });
  const cases: [Promise<Response>, number, string][] = [
    [post('/chat/completions', '{not json'), 400, 'invalid_argument'],
    [post('/chat/completions', 'x'.repeat(9 * 1024 * 1024)), 413, 'payload_too_large'],
    [post('/images/generations', '{}'), 404, 'not_found'],
    [fetch(`${url}/chat/completions`, { method: 'POST', body: '{}' }), 401, 'unauthorized'],
    [fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"messages":[]}' }), 400, 'invalid_argument'],
    [
      fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"model":"nope","messages":[]}' }),
      404,
      'not_found',
    ],
  ];
  for (const [p, status, code] of cases) {
    const r = await p;
    assert.equal(r.status, status, code);
    const b = await r.json();
    assert.equal(b.error.code, code);
    assert.equal(typeof b.error.message, 'string');
    assert.ok(['invalid_request_error', 'authentication_error'].includes(b.error.type));
  }
  const models = await (await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json();
  assert.deepEqual(
    models.data.map((m: any) => m.id),
    ['bad'],
  );
});

test('/metrics passes promtool check metrics', (ctx) => {
  if (spawnSync('promtool', ['--version']).error) {
    ctx.skip('promtool not installed (Debian package "prometheus"; .ci/run installs it)');
    return;
  }
  return fetch(`${t.url}/metrics`)
    .then((r) => r.text())
    .then((text) => {
      assert.match(text, /inferscale_gateway_time_to_first_token_seconds_bucket/);
      const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
      writeFileSync(join(dir, 'm.txt'), text);
      const out = spawnSync('sh', ['-c', `promtool check metrics < ${join(dir, 'm.txt')}`], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stdout + out.stderr);
      void execFileSync;
    });
});

test('every request lands in the bounded request log (arrival, tokens, TTFT, status; never content)', async () => {
  const r = await t.api('GET', '/deployments/spread/request-log?since=1h');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.columns, ['at', 'promptTokens', 'completionTokens', 'ttftMs', 'status']);
  assert.equal(r.body.rows.length, 10);
  for (const [at, prompt, completion, ttft, status] of r.body.rows) {
    assert.ok(at > Date.now() - 3_600_000);
    assert.ok(prompt > 0);
    assert.equal(completion, 20);
    assert.ok(ttft > 0);
    assert.equal(status, 200);
  }
  assert.ok(!JSON.stringify(r.body).includes('hello'), 'no request content is kept');

  // deleting the deployment drops its rows (times and token counts) with it
  const id = t.server.store.getDeploymentByName('spread')!.id;
  assert.equal((await t.api('DELETE', '/deployments/spread')).status, 202);
  await waitFor(() => !t.server.store.getDeployment(id), { what: 'spread deleted' });
  const left = t.server.store.db.prepare('SELECT COUNT(*) AS n FROM request_log WHERE deployment_id = ?').get(id) as { n: number };
  assert.equal(left.n, 0);
});

test("request ids end to end: the answer carries the client's x-request-id (or a generated one), and the request log keeps it", async () => {
  const { url, key } = await deploy('ids', 1);
  const ask = (headers: Record<string, string>) =>
    fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'ids', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    }).then(async (r) => ({ status: r.status, id: r.headers.get('x-request-id'), text: await r.text() }));
  const given = await ask({ 'x-request-id': 'e2e-client-id-1' });
  assert.deepEqual([given.status, given.id], [200, 'e2e-client-id-1'], given.text);
  const generated = await ask({});
  assert.equal(generated.status, 200, generated.text);
  assert.match(generated.id ?? '', /^[0-9a-f-]{36}$/);
  const id = t.server.store.getDeploymentByName('ids')!.id;
  const logged = await waitFor(
    () => {
      const rows = t.server.store.db.prepare('SELECT request_id FROM request_log WHERE deployment_id = ? ORDER BY at').all(id) as { request_id: string }[];
      return rows.length === 2 ? rows.map((r) => r.request_id) : undefined;
    },
    { what: 'both requests in the request log' },
  );
  assert.deepEqual(logged, ['e2e-client-id-1', generated.id]);
});
