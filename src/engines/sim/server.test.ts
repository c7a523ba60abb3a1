import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { postJson, sseEvents, startSim, waitFor, type RunningSim } from './sim-harness.js';

const sims: RunningSim[] = [];
after(() => Promise.all(sims.map((s) => s.close())));
async function sim(params: Parameters<typeof startSim>[0]['params'] = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const s = await startSim({ clock, params: { startupSeconds: 0, ...params }, modelName: 'tiny' });
  sims.push(s);
  return { clock, s };
}

test('health is 503 loading until startupSeconds of clock time, then 200 ok', async () => {
  const { clock, s } = await sim({ startupSeconds: 5 });
  let r = await fetch(`${s.baseUrl}/health`);
  assert.equal(r.status, 503);
  assert.deepEqual(await r.json(), { status: 'loading' });
  r = await postJson(s.baseUrl, '/v1/completions', { prompt: 'x' });
  assert.equal(r.status, 503, 'completions refused while loading');
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'model_loading');
  clock.advance(4999);
  assert.equal((await fetch(`${s.baseUrl}/health`)).status, 503);
  clock.advance(1);
  r = await fetch(`${s.baseUrl}/health`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ok' });
});

test('markLoaded turns health to 200 at once', async () => {
  const { s } = await sim({ startupSeconds: 60 });
  assert.equal((await fetch(`${s.baseUrl}/health`)).status, 503);
  s.markLoaded();
  assert.equal((await fetch(`${s.baseUrl}/health`)).status, 200);
  assert.equal(s.state().loaded, true);
});

test('models lists the served model', async () => {
  const { s } = await sim();
  const body = (await (await fetch(`${s.baseUrl}/v1/models`)).json()) as { object: string; data: Array<{ id: string }> };
  assert.equal(body.object, 'list');
  assert.deepEqual(
    body.data.map((m) => m.id),
    ['tiny'],
  );
});

test('non-streaming chat returns the full object with usage', async () => {
  const { clock, s } = await sim();
  const pending = postJson(s.baseUrl, '/v1/chat/completions', {
    model: 'tiny',
    messages: [{ role: 'user', content: 'Hello, world!' }],
    max_tokens: 5,
  });
  await waitFor(() => s.state().running === 1, 'request running');
  clock.advance(10_000);
  const r = await pending;
  assert.equal(r.status, 200);
  const body = (await r.json()) as Record<string, any>;
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'tiny');
  assert.equal(body.choices[0].message.role, 'assistant');
  assert.equal(body.choices[0].message.content, 'the quick brown fox jumps');
  assert.equal(body.choices[0].finish_reason, 'length');
  assert.deepEqual(body.usage, { prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 });
});

test('completions without max_tokens use defaultMaxTokens and finish with "stop"', async () => {
  const { clock, s } = await sim({ defaultMaxTokens: 7 });
  const pending = postJson(s.baseUrl, '/v1/completions', { prompt: 'one two three' });
  await waitFor(() => s.state().running === 1, 'request running');
  clock.advance(10_000);
  const body = (await (await pending).json()) as Record<string, any>;
  assert.equal(body.object, 'text_completion');
  assert.equal(body.choices[0].finish_reason, 'stop');
  assert.equal(body.choices[0].text.split(' ').filter(Boolean).length, 7);
  assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 });
});

test('streaming chat sends one chunk per token, usage, then [DONE]', async () => {
  const { clock, s } = await sim();
  const r = await postJson(s.baseUrl, '/v1/chat/completions', {
    messages: [{ role: 'user', content: 'hi' }],
    max_completion_tokens: 12,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
  clock.advance(10_000);
  const events = sseEvents(await r.text());
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Record<string, any>);
  const tokenChunks = chunks.filter((c) => c.choices.length > 0);
  assert.equal(tokenChunks.length, 12);
  assert.equal(tokenChunks[0].choices[0].delta.role, 'assistant');
  assert.ok(tokenChunks.every((c) => c.object === 'chat.completion.chunk' && typeof c.choices[0].delta.content === 'string'));
  assert.ok(tokenChunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
  assert.equal(tokenChunks.at(-1)!.choices[0].finish_reason, 'length');
  assert.deepEqual(chunks.at(-1)!.usage, { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 });
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
});

test('streaming completions without include_usage: text chunks then [DONE]', async () => {
  const { clock, s } = await sim();
  const r = await postJson(s.baseUrl, '/v1/completions', { prompt: ['a', 'b'], max_tokens: 3, stream: true });
  clock.advance(10_000);
  const events = sseEvents(await r.text());
  assert.equal(events.length, 4);
  assert.equal(events[3], '[DONE]');
  const texts = events.slice(0, 3).map((e) => (JSON.parse(e) as Record<string, any>).choices[0].text);
  assert.deepEqual(texts, [' the', ' quick', ' brown']);
});

test('bad bodies get 400 OpenAI errors naming the field', async () => {
  const { s } = await sim();
  const cases: Array<[string, unknown, string]> = [
    ['/v1/chat/completions', '{not json', 'body'],
    ['/v1/chat/completions', { model: 'tiny' }, 'messages'],
    ['/v1/chat/completions', { messages: [] }, 'messages'],
    ['/v1/chat/completions', { messages: [{ content: 'x' }] }, 'messages[0]'],
    ['/v1/completions', { max_tokens: 4 }, 'prompt'],
    ['/v1/completions', { prompt: 'x', max_tokens: 0 }, 'max_tokens'],
    ['/v1/completions', { prompt: 'x', max_tokens: 32769 }, 'max_tokens'],
    ['/v1/completions', { prompt: 'x', max_tokens: 2.5 }, 'max_tokens'],
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_completion_tokens: -1 }, 'max_completion_tokens'],
    ['/v1/completions', { prompt: 'x', stream: 'yes' }, 'stream'],
    ['/v1/embeddings', { input: 5 }, 'input'],
  ];
  for (const [path, body, param] of cases) {
    const r = await postJson(s.baseUrl, path, body);
    assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
    const e = ((await r.json()) as { error: Record<string, unknown> }).error;
    assert.equal(e.param, param);
    assert.equal(e.type, 'invalid_request_error');
    assert.equal(typeof e.message, 'string');
    assert.ok((e.message as string).includes(param.replace(/\[0\]$/, '')) || param === 'body', String(e.message));
  }
  assert.equal(s.state().running, 0);
  assert.equal((await fetch(`${s.baseUrl}/nope`)).status, 404);
  assert.equal((await fetch(`${s.baseUrl}/v1/completions`)).status, 405);
});

test('embeddings are deterministic small vectors with usage', async () => {
  const { s } = await sim();
  const get = async () => (await (await postJson(s.baseUrl, '/v1/embeddings', { input: ['hello world', 'bye'] })).json()) as Record<string, any>;
  const a = await get();
  assert.equal(a.object, 'list');
  assert.equal(a.data.length, 2);
  assert.equal(a.data[0].embedding.length, 8);
  assert.deepEqual(a.usage, { prompt_tokens: 3, total_tokens: 3 });
  assert.deepEqual((await get()).data, a.data);
});
