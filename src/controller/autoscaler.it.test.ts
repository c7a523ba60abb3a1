import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, waitFor, pidAlive, type TestServer } from '../test/harness.js';

// The autoscaler live: real server, real engine-simulator processes, requests from the openai client.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;

test('from zero to 4 replicas on 8 concurrent streams, no overshoot, every request served, back to zero when idle', async () => {
  const created = await t.api('POST', '/deployments', {
    name: 'auto',
    modelName: 'm',
    replicas: 0,
    maxOngoingRequests: 2,
    engineParams: '--startup-seconds 1 --ttft-ms 10 --itl-ms 100 --jitter 0',
  });
  assert.equal(created.status, 201);
  const r = await t.cli([
    'deployment',
    'autoscale',
    'auto',
    '--min',
    '0',
    '--max',
    '4',
    '--target-ongoing-requests',
    '2',
    '--scale-to-zero-after',
    '3s',
    '--downscale-delay',
    '3s',
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).autoscale.maxReplicas, 4);

  const client = new OpenAI({ baseURL: `${t.url}/d/auto/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 60_000 });
  let maxReady = 0;
  let maxDesired = 0;
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const d = await show('auto');
      maxReady = Math.max(maxReady, d.readyReplicas);
      maxDesired = Math.max(maxDesired, d.replicas);
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  const streams = await Promise.all(
    Array.from({ length: 8 }, async () => {
      // 6 s streams: long enough that 4 replicas are up while the load lasts, even on a busy 2-core machine
      const s = await client.chat.completions.create({ model: 'm', stream: true, max_tokens: 60, messages: [{ role: 'user', content: 'go' }] });
      let n = 0;
      for await (const ch of s) if (ch.choices[0]?.delta?.content) n++;
      return n;
    }),
  );
  assert.deepEqual(streams, Array(8).fill(60), 'every request served in full');
  await waitFor(() => maxReady === 4, { timeoutMs: 10_000, what: '4 ready replicas' });
  assert.equal(maxDesired, 4, 'never asked for more than max');

  const events = (await t.api('GET', '/deployments/auto/events?kind=autoscale')).body.events as { message: string }[];
  const targets = events.map((e) => Number(/-> (\d+)/.exec(e.message)![1]));
  assert.ok(Math.max(...targets) <= 4, `targets ${targets}`);
  assert.match(events[0].message, /autoscaled 0 -> 1/, 'the first request wakes the deployment at once');

  const pids = (await show('auto')).replicaDetails.map((x: any) => x.pid).filter(Boolean);
  // the scale-down follows the 60 s average of the load (docs/autoscaling.md), then the idle timer
  await waitFor(async () => (await show('auto')).status === 'stopped', { timeoutMs: 60_000, what: 'back to zero after the idle period' });
  watching = false;
  await watch;
  assert.ok(pids.every((p: number) => !pidAlive(p)));
  const all = (await t.api('GET', '/deployments/auto/events?kind=autoscale')).body.events as { message: string }[];
  assert.match(all[all.length - 1].message, /-> 0/);
  const shown = await t.cli(['deployment', 'show', 'auto']);
  assert.match(shown.stdout, /Last decision/);
});

test('a manual scale of an autoscaled deployment is refused with the way out; a request at zero is held, not refused', async () => {
  const r = await t.cli(['deployment', 'scale', 'auto', '2']);
  assert.equal(r.code, 7);
  assert.match(r.stderr, /autoscaling_enabled.*--min N --max M.*--off/);
  const bad = await t.cli(['deployment', 'autoscale', 'auto', '--min', '5', '--max', '2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /min/);
  assert.equal((await show('auto')).autoscale.maxReplicas, 4, 'a refused spec changes nothing');
  const key = (await t.cli(['deployment', 'reveal-api-key', 'auto'])).stdout.trim();
  const res = await fetch(`${t.url}/d/auto/v1/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', prompt: 'hi', max_tokens: 2 }),
  });
  assert.equal(res.status, 200, 'held during the cold start, then served');
  const off = await t.cli(['deployment', 'autoscale', 'auto', '--off']);
  assert.equal(off.code, 0, off.stderr);
  const manual = await t.cli(['deployment', 'scale', 'auto', '0', '--wait']);
  assert.equal(manual.code, 0, manual.stderr);
  const stopped = await fetch(`${t.url}/d/auto/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"prompt":"x"}' });
  assert.equal(stopped.status, 503, 'scaled to zero by hand: refused with Retry-After, not held');
  assert.ok(stopped.headers.get('retry-after'));
});
