import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEngineMetrics } from '../engine-metrics.js';
import type { AddressInfo } from 'node:net';
import { parseLlamaCppParams } from './params.js';
import { MAX_EMBEDDING_CHARS, MAX_EMBEDDING_INPUTS } from './embeddings.js';
import { createLlamaServer, type LlamaRuntime } from './llamacpp-server.js';

// The HTTP layer of the llama.cpp engine with a fake runtime (the real model runs in llamacpp.it.test.ts):
// health before and after loading, vLLM gauges while a generation holds the only sequence, streaming shape.
function fakeRuntime(gate?: Promise<void>): LlamaRuntime & { calls: number } {
  const rt = {
    calls: 0,
    contextSize: 256,
    async generate(input: any, o: { signal: AbortSignal; onText: (t: string) => void }) {
      rt.calls++;
      if (gate) await gate;
      for (const piece of ['Once', ' upon', ' a']) o.onText(piece);
      return {
        text: 'Once upon a',
        promptTokens: input.kind === 'chat' ? 9 : 3,
        completionTokens: 3,
        finish: input.maxTokensGiven ? ('length' as const) : ('stop' as const),
      };
    },
    async embed(texts: string[]) {
      return { vectors: texts.map((t) => [t.length, 0.5]), promptTokens: texts.length * 2 };
    },
    async close() {},
  };
  return rt;
}

async function listen(params = '') {
  const s = createLlamaServer({ modelName: 'tiny', params: parseLlamaCppParams(params) });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  const post = (path: string, body: unknown) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { s, url, post, close: () => new Promise<void>((r) => s.server.close(() => r())) };
}

const gauge = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(text)![1]);

test('/health is 503 "loading" until the runtime is set; generation is refused meanwhile', async () => {
  const h = await listen();
  const before = await fetch(`${h.url}/health`);
  assert.equal(before.status, 503);
  assert.deepEqual(await before.json(), { status: 'loading' });
  const refused = await h.post('/v1/completions', { prompt: 'x' });
  assert.equal(refused.status, 503);
  assert.equal((await refused.json()).error.code, 'model_loading');
  h.s.setRuntime(fakeRuntime());
  assert.equal((await fetch(`${h.url}/health`)).status, 200);
  const ok = await h.post('/v1/completions', { prompt: 'x', max_tokens: 3 });
  const body = await ok.json();
  assert.equal(body.choices[0].text, 'Once upon a');
  assert.equal(body.choices[0].finish_reason, 'length');
  assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  await h.close();
});

test('vllm:num_requests_running/waiting follow the sequences in use; a full queue gets 503', async () => {
  const h = await listen('--parallel 1 --max-waiting 1');
  let open!: () => void;
  const rt = fakeRuntime(new Promise<void>((r) => (open = r)));
  h.s.setRuntime(rt);
  const first = h.post('/v1/completions', { prompt: 'a' });
  const second = h.post('/v1/completions', { prompt: 'b' });
  const metrics = async () => (await fetch(`${h.url}/metrics`)).text();
  for (;;) {
    const m = await metrics();
    if (gauge(m, 'vllm:num_requests_running') === 1 && gauge(m, 'vllm:num_requests_waiting') === 1) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  // one sequence (--parallel 1) in use: the engine signals read it as a full KV cache
  assert.deepEqual(parseEngineMetrics(await metrics()), { running: 1, waiting: 1, kvCacheUsage: 1 });
  const third = await h.post('/v1/completions', { prompt: 'c' });
  assert.equal(third.status, 503);
  assert.equal((await third.json()).error.code, 'engine_overloaded');
  open();
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
  const m = await metrics();
  assert.equal(gauge(m, 'vllm:num_requests_running'), 0);
  assert.equal(gauge(m, 'vllm:generation_tokens_total'), 6);
  await h.close();
});

test('streaming chat: role first, one chunk per piece, finish reason, usage, [DONE]; bad bodies are 400', async () => {
  const h = await listen();
  h.s.setRuntime(fakeRuntime());
  const res = await h.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events = (await res.text())
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: 'Once' });
  assert.equal(
    chunks
      .slice(0, 3)
      .map((c) => c.choices[0].delta.content)
      .join(''),
    'Once upon a',
  );
  assert.equal(chunks[3].choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks[4].usage, { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
  for (const [path, body, param] of [
    ['/v1/chat/completions', { messages: [] }, 'messages'],
    ['/v1/chat/completions', { messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    ['/v1/completions', { prompt: 'x', max_tokens: 100000 }, 'max_tokens'],
    ['/v1/completions', { prompt: 'x', temperature: 3 }, 'temperature'],
  ] as const) {
    const r = await h.post(path, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal((await r.json()).error.param, param);
  }
  await h.close();
});

test('a client that goes away while waiting for a sequence leaves the queue and is counted as aborted', async () => {
  const h = await listen('--parallel 1');
  let open!: () => void;
  h.s.setRuntime(fakeRuntime(new Promise<void>((r) => (open = r))));
  const first = h.post('/v1/completions', { prompt: 'a' });
  const ac = new AbortController();
  const second = fetch(`${h.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'b', stream: true }), signal: ac.signal }).then((r) =>
    r.text(),
  );
  while (h.s.state().waiting !== 1) await new Promise((r) => setTimeout(r, 10));
  ac.abort();
  await assert.rejects(second);
  while (h.s.state().waiting !== 0) await new Promise((r) => setTimeout(r, 10));
  open();
  assert.equal((await first).status, 200);
  assert.equal(h.s.state().aborted, 1);
  assert.equal(h.s.state().running, 0);
  await h.close();
});

test('/v1/embeddings: float and base64 vectors in input order, usage, and 400s naming the field and the limit', async () => {
  const h = await listen();
  h.s.setRuntime(fakeRuntime());
  const one = await (await h.post('/v1/embeddings', { input: 'abc' })).json();
  assert.deepEqual(one, {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [3, 0.5] }],
    model: 'tiny',
    usage: { prompt_tokens: 2, total_tokens: 2 },
  });
  const two = await (await h.post('/v1/embeddings', { input: ['a', 'abcd'], encoding_format: 'base64' })).json();
  const decode = (b: string) => [...new Float32Array(new Uint8Array(Buffer.from(b, 'base64')).buffer)];
  assert.deepEqual(
    two.data.map((d: any) => [d.index, decode(d.embedding)]),
    [
      [0, [1, 0.5]],
      [1, [4, 0.5]],
    ],
  );
  assert.deepEqual(two.usage, { prompt_tokens: 4, total_tokens: 4 });
  const error = async (body: unknown) => {
    const r = await h.post('/v1/embeddings', body);
    assert.equal(r.status, 400);
    const e = (await r.json()).error;
    return [e.param, e.code, e.message];
  };
  assert.deepEqual((await error({ input: Array(MAX_EMBEDDING_INPUTS + 1).fill('x') })).slice(0, 2), ['input', 'input_too_many_items']);
  const tooLong = await error({ input: ['x'.repeat(MAX_EMBEDDING_CHARS), 'y'] });
  assert.deepEqual(tooLong.slice(0, 2), ['input', 'input_too_long']);
  assert.match(tooLong[2], new RegExp(`at most ${MAX_EMBEDDING_CHARS}`));
  assert.deepEqual((await error({ input: [] })).slice(0, 2), ['input', 'invalid_value']);
  assert.deepEqual((await error({ input: [[1, 2]] })).slice(0, 2), ['input', 'invalid_value']);
  assert.deepEqual((await error({ input: 'x', encoding_format: 'int8' })).slice(0, 2), ['encoding_format', 'invalid_value']);
  await h.close();
});
