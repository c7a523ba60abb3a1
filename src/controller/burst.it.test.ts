import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';

// A burst from zero, live: real server, real engine-simulator replicas (2 s cold start), the openai client.
// 8 streams of 300 tokens (~6 s each) at a target of 2 per replica want 4 replicas; each replica takes 2
// streams (maxOngoingRequests 2), so 6 streams wait in the gateway queue while replicas start. None of those
// starting replicas may be cancelled while requests wait, and the deployment goes back to zero within
// scale-to-zero-after (15 s) + 10 s of the last stream's end.
const SCALE_TO_ZERO_MS = 15_000;
const STREAMS = 8;
const TOKENS = 300;

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

interface EventView {
  at: string;
  message: string;
}

test('a burst of 8 streams from zero: 4 replicas asked for, none cancelled while starting, every stream served in full, back to zero when idle', {
  timeout: 90_000,
}, async () => {
  const created = await t.api('POST', '/deployments', {
    name: 'burst',
    modelName: 'm',
    replicas: 0,
    maxOngoingRequests: 2,
    engineParams: '--startup-seconds 2 --ttft-ms 50 --itl-ms 20',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const r = await t.cli([
    'deployment',
    'autoscale',
    'burst',
    '--min',
    '0',
    '--max',
    '8',
    '--target-ongoing-requests',
    '2',
    '--scale-to-zero-after',
    '15s',
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).autoscale.scaleToZeroAfterMs, SCALE_TO_ZERO_MS);

  const client = new OpenAI({ baseURL: `${t.url}/d/burst/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 45_000 });
  const started = Date.now();
  const tokens = await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const s = await client.chat.completions.create({ model: 'm', stream: true, max_tokens: TOKENS, messages: [{ role: 'user', content: 'go' }] });
      let n = 0;
      for await (const ch of s) if (ch.choices[0]?.delta?.content) n++;
      return n;
    }),
  );
  const lastFinished = Date.now();
  assert.deepEqual(tokens, Array(STREAMS).fill(TOKENS), 'all 8 streams served in full');

  const events = async () => (await t.api('GET', '/deployments/burst/events?kind=autoscale&limit=1000')).body.events as EventView[];
  const desired = (es: EventView[]) => es.map((e) => Number(/-> (\d+)/.exec(e.message)?.[1]));
  const during = (await events()).filter((e) => Date.parse(e.at) <= lastFinished);
  const seq = desired(during);
  const said = during.map((e) => `${e.at} ${e.message}`).join('\n');
  assert.equal(Math.max(...seq), 4, `4 replicas asked for, no more:\n${said}`);
  assert.ok(
    seq.every((n, i) => i === 0 || n >= seq[i - 1]),
    `desired never drops while the streams last:\n${said}`,
  );

  const replicas = (await t.api('GET', '/deployments/burst/replicas')).body.replicas as { id: string; readyAt: string | null; stoppedAt: string | null }[];
  const cancelled = replicas.filter((x) => x.stoppedAt !== null && x.readyAt === null && Date.parse(x.stoppedAt) <= lastFinished);
  assert.deepEqual(
    cancelled.map((x) => x.id),
    [],
    `no replica stopped while starting during the burst:\n${said}`,
  );

  const deadline = lastFinished + SCALE_TO_ZERO_MS + 10_000;
  await waitFor(
    async () => {
      const d = (await t.api('GET', '/deployments/burst')).body;
      return d.replicas === 0 && d.status === 'stopped';
    },
    {
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 250,
      what: `0 replicas within 25 s of the last stream's end (the burst took ${lastFinished - started} ms)`,
    },
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}; autoscale events:\n${(await events()).map((x) => `${x.at} ${x.message}`).join('\n')}`);
  });
});
