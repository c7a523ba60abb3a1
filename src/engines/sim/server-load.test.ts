import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { postJson, sseEvents, startSim, waitFor, type RunningSim } from './sim-harness.js';

const sims: RunningSim[] = [];
after(() => Promise.all(sims.map((s) => s.close())));
async function sim(params: Parameters<typeof startSim>[0]['params'] = {}) {
  const clock = new FakeClock(0);
  const s = await startSim({ clock, params: { startupSeconds: 0, ...params }, modelName: 'tiny' });
  sims.push(s);
  return { clock, s };
}
const chat = (max_tokens: number, stream = true) => ({ messages: [{ role: 'user', content: 'hi' }], max_tokens, stream });
const metricValue = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

test('503 engine_overloaded when the waiting queue is full; queued requests still finish', async () => {
  const { clock, s } = await sim({ maxNumSeqs: 1, maxWaiting: 1 });
  const a = await postJson(s.baseUrl, '/v1/chat/completions', chat(3));
  const b = await postJson(s.baseUrl, '/v1/chat/completions', chat(3));
  await waitFor(() => s.state().running === 1 && s.state().waiting === 1, 'one running, one waiting');
  const c = await postJson(s.baseUrl, '/v1/chat/completions', chat(3));
  assert.equal(c.status, 503);
  assert.deepEqual(Object.keys((await c.json()) as object), ['error']);
  const metrics = await (await fetch(`${s.baseUrl}/metrics`)).text();
  assert.equal(metricValue(metrics, 'inferscale_sim_rejected_total'), 1);
  clock.advance(10_000);
  for (const r of [a, b]) assert.equal(sseEvents(await r.text()).at(-1), '[DONE]');
  assert.equal(s.state().completed, 2);
});

test('the overloaded error is OpenAI-shaped', async () => {
  const { s } = await sim({ maxNumSeqs: 1, maxWaiting: 0 });
  const ctl = new AbortController();
  await postJson(s.baseUrl, '/v1/chat/completions', chat(3), ctl.signal);
  const r = await postJson(s.baseUrl, '/v1/chat/completions', chat(3, false));
  assert.equal(r.status, 503);
  const e = ((await r.json()) as { error: Record<string, unknown> }).error;
  assert.equal(e.type, 'server_error');
  assert.equal(e.code, 'engine_overloaded');
  assert.equal(typeof e.message, 'string');
  ctl.abort();
  await waitFor(() => s.state().running === 0, 'slot freed');
});

test('client abort frees the slot at once and counts in /metrics', async () => {
  const { clock, s } = await sim({ maxNumSeqs: 1, maxWaiting: 5 });
  const ctlA = new AbortController();
  const ctlB = new AbortController();
  const a = await postJson(s.baseUrl, '/v1/chat/completions', chat(1000), ctlA.signal);
  clock.advance(100); // some tokens flow to A
  const b = postJson(s.baseUrl, '/v1/chat/completions', chat(1000), ctlB.signal);
  const c = postJson(s.baseUrl, '/v1/chat/completions', chat(2, false));
  await waitFor(() => s.state().waiting === 2, 'b and c waiting');
  assert.equal(a.status, 200);
  await b;
  ctlB.abort(); // abort while waiting
  await waitFor(() => s.state().waiting === 1 && s.state().aborted === 1, 'b left the queue');
  ctlA.abort(); // abort while running
  await waitFor(() => s.state().aborted === 2 && s.state().running === 1 && s.state().waiting === 0, 'c promoted');
  const metrics = await (await fetch(`${s.baseUrl}/metrics`)).text();
  assert.equal(metricValue(metrics, 'inferscale_sim_aborted_total'), 2);
  clock.advance(1000);
  assert.equal((await c).status, 200);
  const tokensAfter = s.state().generationTokens;
  clock.advance(100_000);
  assert.equal(s.state().generationTokens, tokensAfter, 'no tokens generated for aborted requests');
  assert.equal(s.state().running, 0);
});

test('metrics expose vLLM gauges and counters', async () => {
  const { clock, s } = await sim({ maxNumSeqs: 2, maxWaiting: 5 });
  const streams = await Promise.all([1, 2, 3].map(() => postJson(s.baseUrl, '/v1/chat/completions', chat(4))));
  await waitFor(() => s.state().running === 2 && s.state().waiting === 1, 'load');
  let text = await (await fetch(`${s.baseUrl}/metrics`)).text();
  assert.match(text, /^# HELP vllm:num_requests_running /m);
  assert.match(text, /^# TYPE vllm:num_requests_running gauge$/m);
  assert.match(text, /^# TYPE vllm:prompt_tokens_total counter$/m);
  assert.equal(metricValue(text, 'vllm:num_requests_running'), 2);
  assert.equal(metricValue(text, 'vllm:num_requests_waiting'), 1);
  assert.match(text, /^vllm:num_requests_running\{model_name="tiny"\} 2$/m);
  clock.advance(10_000);
  await Promise.all(streams.map((r) => r.text()));
  text = await (await fetch(`${s.baseUrl}/metrics`)).text();
  assert.equal(metricValue(text, 'vllm:num_requests_running'), 0);
  assert.equal(metricValue(text, 'vllm:generation_tokens_total'), 12);
  assert.equal(metricValue(text, 'vllm:prompt_tokens_total'), 15);
  assert.match(text, /^vllm:request_success_total\{finished_reason="length",model_name="tiny"\} 3$/m);
  for (const line of text.trimEnd().split('\n')) {
    assert.match(line, /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\} [0-9.e+-]+)$/, line);
  }
});

test('token timing follows the service model and the current load', async () => {
  const { clock, s } = await sim({ ttftMs: 100, prefillMsPerToken: 0, itlMs: 10, slowdownPerSeq: 0.5, maxNumSeqs: 4 });
  await postJson(s.baseUrl, '/v1/chat/completions', chat(3));
  assert.equal(s.state().running, 1);
  clock.advance(99);
  assert.equal(s.state().generationTokens, 0);
  clock.advance(1);
  assert.equal(s.state().generationTokens, 1, 'first token at ttft');
  // a second request arrives at t=100: 2 running now, so new delays are 1.5x
  await postJson(s.baseUrl, '/v1/chat/completions', chat(3));
  assert.equal(s.state().running, 2);
  clock.advance(9);
  assert.equal(s.state().generationTokens, 1);
  clock.advance(1); // t=110: this gap was set while alone (10 ms)
  assert.equal(s.state().generationTokens, 2);
  clock.advance(14); // t=124: next gap is 15 ms
  assert.equal(s.state().generationTokens, 2);
  clock.advance(1); // t=125: first request done
  assert.equal(s.state().generationTokens, 3);
  assert.equal(s.state().running, 1);
  clock.advance(124); // t=249: second request's prefill is 150 ms (set at 2 running)
  assert.equal(s.state().generationTokens, 3);
  clock.advance(1);
  assert.equal(s.state().generationTokens, 4);
  clock.advance(10); // alone again: 10 ms gaps
  assert.equal(s.state().generationTokens, 5);
});

test('streaming honours backpressure: a client that stops reading stops generation until it drains', async () => {
  const { clock, s } = await sim({ ttftMs: 1, prefillMsPerToken: 0, itlMs: 1 });
  const total = 8192;
  const socket = net.connect(s.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.pause(); // read nothing yet
  const body = JSON.stringify(chat(total));
  socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await waitFor(() => s.state().running === 1, 'stream running');
  // advance far past the time all tokens take: without backpressure every token would go out now
  clock.advance(total * 10);
  const emitted = s.state().generationTokens;
  assert.ok(emitted > 0 && emitted < total, `emission paused on a full socket (emitted ${emitted})`);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.state().generationTokens, emitted, 'nothing emitted without clock time');
  // now read everything: generation resumes after each drain
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.resume();
  await waitFor(
    () => {
      clock.advance(total * 10);
      return received.includes('data: [DONE]');
    },
    'stream completes',
    15_000,
  );
  assert.equal(s.state().generationTokens, total);
  assert.equal((received.match(/"chat\.completion\.chunk"/g) ?? []).length, total);
  socket.destroy();
});
