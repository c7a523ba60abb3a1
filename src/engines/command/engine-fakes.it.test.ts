import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, waitFor, type TestServer } from '../../test/harness.js';
import { parseMetrics, sumMetric } from '../../test/load.js';

// The real-engine path through the real server and gateway, against fake `vllm` and `python -m
// sglang.launch_server` executables (src/test/fake-engine.ts) that take the real command lines and
// answer with the real servers' field order, usage events and metric names.
const FAKE = fileURLToPath(new URL('../../test/fake-engine.js', import.meta.url));

let t: TestServer;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferscale-engine-fakes-'));
  for (const [bin, env] of [
    ['vllm', 'INFERSCALE_VLLM_BIN'],
    ['python', 'INFERSCALE_SGLANG_BIN'],
  ]) {
    writeFileSync(join(dir, bin), `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" "$@"\n`);
    chmodSync(join(dir, bin), 0o755);
    process.env[env] = join(dir, bin);
  }
  process.env.INFERSCALE_REPLICA_ENV = 'FAKE_ENGINE_TOKEN_MS';
  t = await startTestServer({ virtualGpus: 8 });
});
after(async () => {
  await t.close();
  delete process.env.INFERSCALE_VLLM_BIN;
  delete process.env.INFERSCALE_SGLANG_BIN;
  delete process.env.INFERSCALE_REPLICA_ENV;
  rmSync(dir, { recursive: true, force: true });
});

const metrics = async () => parseMetrics(await (await fetch(`${t.url}/metrics`)).text());

async function deploy(name: string, engine: 'vllm' | 'sglang', engineParams = ''): Promise<{ url: string; key: string }> {
  const r = await t.api('POST', '/deployments', { name, engine, modelName: `org/${name}-model`, engineParams });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitFor(async () => (await t.api('GET', `/deployments/${name}`)).body.readyReplicas === 1, { what: `${name} ready` });
  return { url: `${t.url}/d/${name}/v1`, key: r.body.apiKey as string };
}

async function post(url: string, key: string, body: unknown): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const events = (text: string) =>
  text
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)));

for (const engine of ['vllm', 'sglang'] as const) {
  test(`${engine}: usage read in its own field order, streamed or not; the usage event only reaches a client that asked`, async () => {
    const name = `u-${engine}`;
    const { url, key } = await deploy(name, engine);
    const tokens = () => [
      sumMetric(m, 'inferscale_gateway_prompt_tokens_total', (l) => l.includes(`"${name}"`)),
      sumMetric(m, 'inferscale_gateway_completion_tokens_total', (l) => l.includes(`"${name}"`)),
    ];
    let m = await metrics();
    const plain = await post(url, key, { model: name, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 5 });
    assert.equal(plain.status, 200);
    const answer = await plain.json();
    assert.deepEqual(Object.keys(answer.usage).slice(0, 3), ['prompt_tokens', 'total_tokens', 'completion_tokens']);
    m = await metrics();
    assert.deepEqual(tokens(), [answer.usage.prompt_tokens, 5]);

    const streamed = await post(url, key, { model: name, messages: [{ role: 'user', content: 'hi' }], max_tokens: 7, stream: true });
    const got = events(await streamed.text());
    assert.equal(got.length, 7, 'seven token events, no usage-only event');
    assert.ok(got.every((e) => e.choices.length === 1));
    m = await metrics();
    assert.equal(tokens()[1], 5 + 7);

    const asked = await post(url, key, {
      model: name,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const withUsage = events(await asked.text());
    assert.equal(withUsage.length, 4);
    assert.deepEqual([withUsage[3].choices, withUsage[3].usage.completion_tokens], [[], 3]);
    m = await metrics();
    assert.equal(tokens()[1], 5 + 7 + 3);
  });
}

test('a 100 KiB prompt at /d/NAME/v1 naming the deployment reaches vLLM and SGLang with the served model name', async () => {
  for (const engine of ['vllm', 'sglang'] as const) {
    const name = `big-${engine}`;
    const { url, key } = await deploy(name, engine);
    const content = 'word '.repeat(20 * 1024);
    const res = await post(url, key, { model: name, messages: [{ role: 'user', content }], max_tokens: 2 });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.model, `org/${name}-model`);
    assert.ok(body.usage.prompt_tokens > 25_000, String(body.usage.prompt_tokens));
  }
});

for (const [engine, limitFlag] of [
  ['vllm', '--max-num-seqs'],
  ['sglang', '--max-running-requests'],
] as const) {
  test(`${engine}: the engine's running, waiting and KV-cache use reach inferscale's /metrics and deployment show, and go with the replica`, async () => {
    const name = `sig-${engine}`;
    process.env.FAKE_ENGINE_TOKEN_MS = '100';
    const { url, key } = await deploy(name, engine, `${limitFlag} 1`);
    delete process.env.FAKE_ENGINE_TOKEN_MS;
    // three requests of 4 s each on an engine that runs one at a time: one runs, two wait in the engine
    const calls = Array.from({ length: 3 }, () =>
      post(url, key, { model: name, messages: [{ role: 'user', content: 'hi' }], max_tokens: 40 })
        .then((r) => r.text())
        .catch(() => ''),
    );
    const series = (m: Map<string, number>, metric: string) => sumMetric(m, metric, (l) => l.includes(`deployment="${name}"`));
    await waitFor(async () => series(await metrics(), 'inferscale_engine_requests_waiting') === 2, { what: 'engine waiting 2 on /metrics', timeoutMs: 5000 });
    const m = await metrics();
    assert.deepEqual([series(m, 'inferscale_engine_requests_running'), series(m, 'inferscale_engine_kv_cache_usage_ratio')], [1, 1]);
    const shown = await t.cli(['deployment', 'show', name]);
    assert.match(shown.stdout, /ENGINE RUN\/WAIT\/KV/);
    assert.match(shown.stdout, / 1\/2\/100% /);
    assert.equal((await t.api('POST', `/deployments/${name}/scale`, { replicas: 0 })).status, 200);
    await waitFor(async () => !(await (await fetch(`${t.url}/metrics`)).text()).includes(`inferscale_engine_requests_waiting{deployment="${name}"`), {
      what: 'engine series gone with the replica',
      timeoutMs: 10_000,
    });
    await Promise.all(calls);
  });
}
