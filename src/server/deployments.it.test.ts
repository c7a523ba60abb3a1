import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, waitFor, pidAlive, FAST_SIM, type TestServer } from '../test/harness.js';

// End to end on one machine: real server, real engine-simulator replica processes, the real CLI, the
// official openai client. 8 virtual GPUs of type a5000.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const livePids = async (name: string) =>
  (await show(name)).replicaDetails.filter((r: any) => r.state !== 'failed' && r.state !== 'stopped').map((r: any) => r.pid as number);

test('create 2 replicas x 2 GPUs through the CLI: 4 GPUs in use, key shown once', async () => {
  const r = await t.cli([
    'deployment',
    'create',
    'chat',
    '--model-name',
    'tiny-llama',
    '--gpu-count',
    '2',
    '--replicas',
    '2',
    '--engine-params',
    FAST_SIM,
    '--wait',
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout);
  assert.equal(d.name, 'chat');
  assert.equal(d.status, 'ready');
  assert.equal(d.replicas, 2);
  assert.equal(d.readyReplicas, 2);
  assert.equal(d.gpuType, 'a5000');
  assert.equal(d.gpuCount, 2);
  assert.equal(d.totalGpus, 4);
  assert.match(d.apiKey, /^isk-[A-Za-z0-9_-]{43}$/);
  assert.equal(d.url, `${t.url}/d/chat/v1`);
  assert.match(r.stderr, /deploying|creating/);
  const shown = await t.cli(['deployment', 'show', 'chat', '-O', 'json']);
  assert.equal(JSON.parse(shown.stdout).apiKey, undefined, 'show never prints the key');
  const gpus = new Set((JSON.parse(shown.stdout).replicaDetails as any[]).flatMap((x) => x.gpus));
  assert.equal(gpus.size, 4, 'each replica holds its own 2 GPUs');
  const limits = await t.cli(['limits', 'gpu', '-O', 'json']);
  assert.deepEqual(JSON.parse(limits.stdout)[0], { gpuType: 'a5000', used: 4, max: 8, quota: null, inventory: 8 });
  const table = await t.cli(['deployment', 'list']);
  assert.match(table.stdout, /chat\s+local\s+ready\s+tiny-llama\s+sim\s+a5000\s+2\s+2\/2\s+4/);
});

test('the official openai client: chat completion, streaming, wrong key refused', async () => {
  const key = (await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim();
  const client = new OpenAI({ baseURL: `${t.url}/d/chat/v1`, apiKey: key });
  const c = await client.chat.completions.create({ model: 'tiny-llama', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 7 });
  assert.equal(c.usage?.completion_tokens, 7);
  assert.ok(c.choices[0].message.content!.length > 0);
  const stream = await client.chat.completions.create({ model: 'tiny-llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });
  let text = '';
  let chunks = 0;
  for await (const ch of stream) {
    chunks++;
    text += ch.choices[0]?.delta?.content ?? '';
  }
  assert.ok(chunks >= 5, `got ${chunks} chunks`);
  assert.equal(text.trim().split(/\s+/).length, 5);
  const root = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key });
  const viaRoot = await root.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
  assert.equal(viaRoot.usage?.completion_tokens, 2);
  const bad = new OpenAI({ baseURL: `${t.url}/d/chat/v1`, apiKey: 'isk-wrong', maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }] }), (e: any) => e.status === 401);
});

test('scale to 3, to 0 (no process left, 503 + Retry-After, URL and key kept), back to 1 with the same key', async () => {
  const key = (await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim();
  const up = await t.cli(['deployment', 'scale', 'chat', '3', '--wait', '-O', 'json']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(JSON.parse(up.stdout).readyReplicas, 3);
  assert.equal(JSON.parse(up.stdout).totalGpus, 6);
  const pids = await livePids('chat');
  assert.equal(pids.length, 3);

  const down = await t.cli(['deployment', 'scale', 'chat', '0', '--wait', '-O', 'json']);
  assert.equal(down.code, 0, down.stderr);
  const d0 = JSON.parse(down.stdout);
  assert.equal(d0.status, 'stopped');
  assert.equal(d0.url, `${t.url}/d/chat/v1`);
  await waitFor(() => pids.every((p: number) => !pidAlive(p)), { what: 'replica processes gone' });
  const res = await fetch(`${t.url}/d/chat/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 503);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  assert.equal((await res.json()).error.code, 'deployment_stopped');
  assert.equal((await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim(), key);

  const back = await t.cli(['deployment', 'scale', 'chat', '1', '--wait']);
  assert.equal(back.code, 0, back.stderr);
  const client = new OpenAI({ baseURL: `${t.url}/d/chat/v1`, apiKey: key });
  const c = await client.completions.create({ model: 'x', prompt: 'once upon', max_tokens: 3 });
  assert.equal(c.usage?.completion_tokens, 3);
});

test('quota and GPU-count changes are refused with clear errors and change nothing', async () => {
  const set = await t.cli(['limits', 'gpu', 'set', 'a5000', '4']);
  assert.equal(set.code, 0, set.stderr);
  const before = await show('chat');
  const r = await t.cli(['deployment', 'scale', 'chat', '3']);
  assert.equal(r.code, 7);
  assert.match(r.stderr, /quota_exceeded.*would use 6 a5000 GPUs.*quota of 4/);
  const c = await t.cli(['deployment', 'create', 'big', '--model-name', 'm', '--gpu-count', '4', '--replicas', '1']);
  assert.match(c.stderr, /quota_exceeded/);
  assert.equal((await t.api('GET', '/deployments/big')).status, 404);
  const g = await t.cli(['deployment', 'update', 'chat', '--gpu-count', '4']);
  assert.equal(g.code, 2);
  assert.match(g.stderr, /immutable_field.*fixed at creation.*create a new deployment/);
  const after = await show('chat');
  assert.equal(after.replicas, before.replicas);
  assert.equal(after.gpuCount, before.gpuCount);
  await t.cli(['limits', 'gpu', 'set', 'a5000', 'unset']);
});

test('invalid names and values are rejected naming the field and the limit', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: 'Bad_Name', modelName: 'm' }, /name: must be a DNS label/],
    [{ name: '-x', modelName: 'm' }, /name: must be a DNS label/],
    [{ name: 'a'.repeat(64), modelName: 'm' }, /name: must be a DNS label/],
    [{ name: 'ok', modelName: 'm', gpuCount: 9 }, /gpuCount: must be between 1 and 8/],
    [{ name: 'ok', modelName: 'm', gpuCount: 0 }, /gpuCount: must be between 1 and 8/],
    [{ name: 'ok', modelName: 'm', replicas: -1 }, /replicas: must be between 0 and 1000/],
    [{ name: 'ok', modelName: 'm', replicas: 1.5 }, /replicas: must be an integer/],
    [{ name: 'ok' }, /modelName/],
    [{ name: 'ok', modelName: 'm', engine: 'tgi' }, /engine: must be one of/],
    [{ name: 'ok', modelName: 'm', engineParams: '--itl-ms 99999999' }, /itl-ms/],
    [{ name: 'ok', modelName: 'm', engineParams: '--warp-speed 9' }, /warp-speed/],
    [{ name: 'ok', modelName: 'm', gpuType: 'h100' }, /no h100 GPU/],
    [{ name: 'ok', modelName: 'm', colour: 'red' }, /unknown field "colour"/],
  ];
  for (const [body, re] of cases) {
    const r = await t.api('POST', '/deployments', body);
    assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(body)} -> ${r.status}`);
    assert.match(r.body.error.message, re, JSON.stringify(body));
    assert.ok(r.body.error.code);
  }
  assert.equal((await t.api('GET', '/deployments/ok')).status, 404);
  const dup = await t.api('POST', '/deployments', { name: 'chat', modelName: 'm' });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'already_exists');
  const cliBad = await t.cli(['deployment', 'scale', 'chat', 'many']);
  assert.equal(cliBad.code, 2);
  assert.match(cliBad.stderr, /replicas: must be an integer/);
  const noAuth = await fetch(`${t.url}/api/v1/deployments`);
  assert.equal(noAuth.status, 401);
});

test('a replica killed with SIGKILL is replaced', async () => {
  const [pid] = await livePids('chat');
  process.kill(pid, 'SIGKILL');
  await waitFor(
    async () => {
      const d = await show('chat');
      const ready = d.replicaDetails.filter((r: any) => r.state === 'ready');
      return ready.length === 1 && ready[0].pid !== pid && d.replicaDetails.some((r: any) => r.state === 'failed' && r.pid === pid);
    },
    { what: 'a new ready replica replacing the killed one' },
  );
  const events = (await t.api('GET', '/deployments/chat/events')).body.events.map((e: any) => e.message).join('\n');
  assert.match(events, /failed: process exited \(signal SIGKILL\)/);
});

test('a server restart keeps deployments, keys and quotas, and adopts running replicas', async () => {
  await t.cli(['limits', 'gpu', 'set', 'a5000', '6']);
  const key = (await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim();
  const pids = await livePids('chat');
  await t.restart();
  const d = await show('chat');
  assert.equal(d.replicas, 1);
  assert.deepEqual(await livePids('chat'), pids, 'the same replica process is adopted, not restarted');
  assert.equal((await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim(), key);
  assert.equal(JSON.parse((await t.cli(['limits', 'gpu', '-O', 'json'])).stdout)[0].quota, 6);
  const client = new OpenAI({ baseURL: `${t.url}/d/chat/v1`, apiKey: key });
  await waitFor(async () => (await show('chat')).readyReplicas === 1);
  const c = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 2 });
  assert.equal(c.usage?.completion_tokens, 2);
  const logs = await t.cli(['deployment', 'logs', 'chat', '--tail', '5']);
  assert.equal(logs.code, 0);
  assert.match(logs.stdout, /\[chat-[0-9a-f]{6}\]/);
});

test('rotate-api-key --grace 0: the old key stops working at once, the new one works; delete frees everything', async () => {
  const old = (await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim();
  const fresh = (await t.cli(['deployment', 'rotate-api-key', 'chat', '--grace', '0'])).stdout.trim();
  assert.notEqual(old, fresh);
  const call = (k: string) => fetch(`${t.url}/d/chat/v1/models`, { headers: { authorization: `Bearer ${k}` } }).then((r) => r.status);
  assert.equal(await call(old), 401, 'refused as soon as the rotation returns');
  assert.equal(await call(fresh), 200);
  const pids = await livePids('chat');
  const del = await t.cli(['deployment', 'delete', 'chat', '--wait']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal((await t.api('GET', '/deployments/chat')).status, 404);
  assert.ok(pids.every((p: number) => !pidAlive(p)));
  assert.equal(await call(fresh), 401, "a deleted deployment's key opens nothing");
});

test('cluster status on one server: role single, it is its own leader', async () => {
  const r = await t.cli(['cluster', 'status', '-O', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.equal(v.role, 'single');
  assert.equal(v.leader, t.url);
});
