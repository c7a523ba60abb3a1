import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { parseLlamaCppParams } from './params.js';
import { createLlamaServer, type LlamaRuntime } from './llamacpp-server.js';

// Sleep mode of the llama.cpp engine's HTTP layer with fake runtimes (the real unload and load run in
// llamacpp-sleep.it.test.ts): sleep closes the loaded model, wake_up loads a new one, requests between get 503.
function runtimes() {
  const made: Array<LlamaRuntime & { closed: boolean }> = [];
  const make = () => {
    const rt = {
      closed: false,
      contextSize: 256,
      async generate() {
        if (rt.closed) throw new Error('generate on a closed model');
        return { text: 'hi', promptTokens: 1, completionTokens: 1, finish: 'stop' as const };
      },
      async embed() {
        return { vectors: [], promptTokens: 0 };
      },
      async close() {
        rt.closed = true;
      },
    };
    made.push(rt);
    return rt;
  };
  return { made, make };
}

async function listen(load?: () => Promise<LlamaRuntime>) {
  const s = createLlamaServer({ modelName: 'tiny', params: parseLlamaCppParams(''), load });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  const post = (path: string, body?: unknown) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { s, url, post, close: () => new Promise<void>((r) => s.server.close(() => r())) };
}

test('sleep unloads the model (closes it) and wake_up loads a new one; generation in between is 503 model_sleeping', async () => {
  const rts = runtimes();
  let loads = 0;
  const h = await listen(async () => {
    loads++;
    return rts.make();
  });
  h.s.setRuntime(rts.make());
  assert.equal((await h.post('/v1/completions', { prompt: 'x' })).status, 200);

  const slept = await h.post('/sleep?level=1');
  assert.equal(slept.status, 200);
  assert.equal(rts.made[0].closed, true, 'the loaded model was closed');
  assert.equal(h.s.runtime(), undefined);
  assert.deepEqual(await (await fetch(`${h.url}/is_sleeping`)).json(), { is_sleeping: true, phase: 'asleep' });
  assert.equal((await fetch(`${h.url}/health`)).status, 200, 'asleep is healthy, as vLLM');
  const refused = await h.post('/v1/completions', { prompt: 'x' });
  assert.equal(refused.status, 503);
  assert.equal((await refused.json()).error.code, 'model_sleeping');

  const [a, b] = await Promise.all([h.post('/wake_up'), h.post('/wake_up')]);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.equal(loads, 1, 'two wakes at once share one load');
  assert.equal(h.s.runtime(), rts.made[1]);
  assert.equal((await h.post('/v1/completions', { prompt: 'x' })).status, 200);
  await h.close();
});

test('a failed load leaves the engine asleep and answers 500; a later wake may succeed', async () => {
  const rts = runtimes();
  let fail = true;
  const h = await listen(async () => {
    if (fail) throw new Error('disk gone');
    return rts.make();
  });
  h.s.setRuntime(rts.make());
  assert.equal((await h.post('/sleep')).status, 200);
  const bad = await h.post('/wake_up');
  assert.equal(bad.status, 500);
  assert.match((await bad.json()).error.message, /disk gone/);
  assert.equal(((await (await fetch(`${h.url}/is_sleeping`)).json()) as { phase: string }).phase, 'asleep');
  fail = false;
  assert.equal((await h.post('/wake_up')).status, 200);
  await h.close();
});

test('without a loader the engine has no sleep endpoints', async () => {
  const h = await listen();
  h.s.setRuntime(runtimes().make());
  assert.equal((await h.post('/sleep')).status, 404);
  await h.close();
});
