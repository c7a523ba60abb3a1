import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { systemClock } from '../../core/clock.js';
import { startSim, type RunningSim } from './sim-harness.js';

// The official OpenAI client must be able to talk to the sim: the real proof of the wire shapes.
let sim: RunningSim;
let client: OpenAI;
before(async () => {
  sim = await startSim({ clock: systemClock, params: { startupSeconds: 0, ttftMs: 1, itlMs: 0 }, modelName: 'compat' });
  client = new OpenAI({ baseURL: `${sim.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => sim.close());

test('openai client: chat completion and usage', async () => {
  const r = await client.chat.completions.create({ model: 'compat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  assert.equal(r.choices[0].message.content, 'the quick brown fox');
  assert.equal(r.usage?.completion_tokens, 4);
});

test('openai client: streaming chat with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'compat',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 6,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null = null;
  let completionTokens = 0;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
  }
  assert.equal(text, 'the quick brown fox jumps over');
  assert.equal(finish, 'length');
  assert.equal(completionTokens, 6);
});

test('openai client: completions, embeddings, models, and errors', async () => {
  const c = await client.completions.create({ model: 'compat', prompt: 'x', max_tokens: 2 });
  assert.equal(c.choices[0].text, ' the quick');
  const e = await client.embeddings.create({ model: 'compat', input: 'x' });
  assert.equal(e.data[0].embedding.length, 8);
  const models = await client.models.list();
  assert.equal(models.data[0].id, 'compat');
  await assert.rejects(
    client.completions.create({ model: 'compat', prompt: 'x', max_tokens: 0 }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'max_tokens',
  );
});
