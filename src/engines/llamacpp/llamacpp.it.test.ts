import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startTestServer, waitFor, type TestServer } from '../../test/harness.js';

// The real llama.cpp path, CPU only: a real tiny Llama model (stories260K.gguf, read from ../shared, never
// copied into the repo) loaded by node-llama-cpp in replica processes, reached through the gateway with
// the official openai client.
const STORIES = fileURLToPath(new URL('../../../../shared/models/stories260K.gguf', import.meta.url));
const PARAMS = '--threads 1 --ctx-size 256 --parallel 2';
let t: TestServer;
let key: string;
before(async () => {
  assert.ok(existsSync(STORIES), `the test model is missing: ${STORIES} (see shared/models/README.md)`);
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const client = () => new OpenAI({ baseURL: `${t.url}/d/tiny/v1`, apiKey: key, maxRetries: 0, timeout: 30_000 });

test('--engine llamacpp serves the stored GGUF model through the gateway: text and streaming with the openai client', async () => {
  assert.equal((await t.cli(['model', 'create', 'stories', '--from', STORIES, '--wait-timeout', '60'])).code, 0);
  const r = await t.cli([
    'deployment',
    'create',
    'tiny',
    '--engine',
    'llamacpp',
    '--model-name',
    'stories',
    '--engine-params',
    PARAMS,
    '--wait',
    '--wait-timeout',
    '60',
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  key = JSON.parse(r.stdout).apiKey;
  const c = await client().completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 20, temperature: 0 });
  assert.match(c.choices[0].text, /^, there was a little/, 'greedy decoding of the real model');
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.deepEqual([c.usage?.completion_tokens, c.model], [20, 'stories']);
  const stream = await client().chat.completions.create({
    model: 'stories',
    messages: [{ role: 'user', content: 'Tell me a story.' }],
    max_tokens: 12,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish: string | null = null;
  let usage: any;
  for await (const ch of stream) {
    if (ch.usage) usage = ch.usage;
    if (!ch.choices[0]) continue;
    chunks++;
    text += ch.choices[0].delta?.content ?? '';
    finish = ch.choices[0].finish_reason ?? finish;
  }
  assert.ok(chunks >= 2 && text.length > 0, `${chunks} chunks: ${JSON.stringify(text)}`);
  assert.ok(finish === 'length' || finish === 'stop');
  assert.ok(usage.completion_tokens >= 1 && usage.completion_tokens <= 12 && usage.prompt_tokens > 0, JSON.stringify(usage));
  const port = (await show('tiny')).replicaDetails.find((x: any) => x.state === 'ready').port;
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^vllm:num_requests_running\{model_name="stories"\} 0$/m);
  assert.match(metrics, /^vllm:num_requests_waiting\{model_name="stories"\} 0$/m);
});

test('/v1/embeddings on the real model through the gateway: the openai client (base64) and plain JSON (float)', async () => {
  const e = await client().embeddings.create({ model: 'stories', input: ['Once upon a time', 'Lily went to the park'] });
  assert.equal(e.object, 'list');
  assert.equal(e.model, 'stories');
  assert.deepEqual(
    e.data.map((d) => d.index),
    [0, 1],
  );
  const [a, b] = e.data.map((d) => d.embedding);
  assert.ok(a.length > 0 && a.length === b.length && a.every(Number.isFinite), `dimensions ${a.length}`);
  assert.notDeepEqual(a, b);
  assert.ok(e.usage.prompt_tokens > 2 && e.usage.total_tokens === e.usage.prompt_tokens, JSON.stringify(e.usage));
  const post = (body: unknown) =>
    fetch(`${t.url}/d/tiny/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  const direct = await (await post({ input: 'Once upon a time' })).json();
  const close = direct.data[0].embedding.every((x: number, i: number) => Math.abs(x - a[i]) < 1e-4);
  assert.ok(close, 'the same text gives the same vector (float in plain JSON, base64 through the openai client)');
  const tooMany = await post({ input: Array(1000).fill('x') });
  assert.equal(tooMany.status, 400);
  assert.equal((await tooMany.json()).error.code, 'input_too_many_items');
});

test('scale to zero and back: the replica loads the stored file again, nothing is downloaded', async () => {
  const before = (await t.api('GET', '/models/stories')).body;
  assert.equal((await t.cli(['deployment', 'scale', 'tiny', '0', '--wait', '--wait-timeout', '60'])).code, 0);
  assert.equal((await t.cli(['deployment', 'scale', 'tiny', '1', '--wait', '--wait-timeout', '60'])).code, 0);
  const c = await client().completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 5 });
  assert.equal(c.usage?.completion_tokens, 5);
  assert.deepEqual((await t.api('GET', '/models/stories')).body, { ...before, usedBy: ['tiny'] });
});

test('deployment update --engine-params rolls the replica one at a time and fails no request', async () => {
  let ok = 0;
  let afterUpdate = 0;
  const failures: string[] = [];
  let updating = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const c = await client().completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 8 });
        if (c.usage?.completion_tokens !== 8) failures.push(`short answer ${JSON.stringify(c.usage)}`);
        ok++;
        if (updating) afterUpdate++;
      } catch (e) {
        failures.push(String((e as Error).message));
      }
    }
  };
  const workers = [worker(), worker()];
  await waitFor(() => ok >= 4, { what: 'traffic flowing' });
  const oldPid = (await show('tiny')).replicaDetails.find((x: any) => x.state === 'ready').pid;
  updating = true;
  const u = await t.cli(['deployment', 'update', 'tiny', '--engine-params', '--threads 1 --ctx-size 512 --parallel 2']);
  assert.equal(u.code, 0, u.stderr);
  await waitFor(
    async () => {
      const d = await show('tiny');
      const live = d.replicaDetails.filter((x: any) => !['stopped', 'failed'].includes(x.state));
      return d.status === 'ready' && live.length === 1 && live[0].generation === 2 && live[0].pid !== oldPid;
    },
    { timeoutMs: 60_000, what: 'the replica replaced by one of generation 2' },
  );
  const seenAfter = afterUpdate;
  await waitFor(() => afterUpdate >= seenAfter + 4, { what: 'traffic on the new replica' });
  stop = true;
  await Promise.all(workers);
  assert.deepEqual(failures, []);
  assert.ok(ok > 8, `${ok} requests`);
  const events = (await t.api('GET', '/deployments/tiny/events')).body.events.map((e: any) => e.message).join('\n');
  assert.match(events, /rolling replicas one at a time/);
});
