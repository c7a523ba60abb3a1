import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ReplicaView } from '../../service/views.js';
import { startTestServer, waitFor, pidAlive, type TestServer } from '../../test/harness.js';
import { sleepWhenIdle, untilAsleep } from '../../test/sleep.js';

// vLLM's host RAM while asleep, live: a real server whose sleepers may hold 5 MiB of host RAM together, and a
// FAKE `vllm` (a node script written here) with vLLM's sleep mode as the real one serves it: /sleep, /wake_up
// and /is_sleeping only with VLLM_SERVER_DEV_MODE=1 and --enable-sleep-mode, and /sleep answering an empty 200
// (it says nothing of the host RAM its weights take). The server estimates it from the stored repository's
// weight files (3 MiB of safetensors; a .bin copy beside them is not loaded), so the second vLLM sleeper puts
// the two over the budget and the least recently slept one stops; the other still wakes, same process.
const WEIGHTS = 3 * 2 ** 20;
const FAKE = `
import http from 'node:http';
import fs from 'node:fs';
const dir = process.env.FAKE_VLLM_DIR;
const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const dev = process.env.VLLM_SERVER_DEV_MODE === '1';
const sleepMode = args.includes('--enable-sleep-mode');
const log = (line) => fs.appendFileSync(dir + '/calls', process.pid + ' ' + line + '\\n');
let asleep = false;
http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/health') return res.writeHead(200).end();
  if (['/sleep', '/wake_up', '/is_sleeping'].includes(path)) {
    // vLLM mounts these only in dev mode, and a sleep needs the engine started with sleep mode
    if (!dev) return res.writeHead(404).end('{"detail":"Not Found"}');
    if (path === '/is_sleeping') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ is_sleeping: asleep }));
    if (!sleepMode) return res.writeHead(500).end('Sleep mode is not enabled');
    asleep = path === '/sleep';
    log(req.url);
    return res.writeHead(200).end();
  }
  req.resume();
  req.on('end', () => {
    if (asleep) return res.writeHead(503).end('asleep');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'fake', object: 'text_completion', created: 0, model: 'weights', choices: [{ index: 0, text: ' awake', finish_reason: 'length', logprobs: null }], usage: { prompt_tokens: 1, total_tokens: 3, completion_tokens: 2 } }));
  });
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let t: TestServer;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferscale-vllm-sleep-'));
  writeFileSync(join(dir, 'fake.mjs'), FAKE);
  writeFileSync(join(dir, 'vllm'), `#!/bin/sh\nexec "${process.execPath}" "${join(dir, 'fake.mjs')}" "$@"\n`);
  chmodSync(join(dir, 'vllm'), 0o755);
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'config.json'), JSON.stringify({ architectures: ['Qwen2ForCausalLM'] }));
  writeFileSync(join(repo, 'model.safetensors'), Buffer.alloc(WEIGHTS));
  writeFileSync(join(repo, 'pytorch_model.bin'), Buffer.alloc(WEIGHTS));
  process.env.FAKE_VLLM_DIR = dir;
  process.env.INFERSCALE_REPLICA_ENV = 'FAKE_VLLM_DIR';
  process.env.INFERSCALE_VLLM_BIN = join(dir, 'vllm');
  t = await startTestServer({ sleepRamBytes: 5 * 2 ** 20 });
});
after(async () => {
  await t.close();
  delete process.env.INFERSCALE_VLLM_BIN;
  delete process.env.FAKE_VLLM_DIR;
  delete process.env.INFERSCALE_REPLICA_ENV;
  rmSync(dir, { recursive: true, force: true });
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const live = async (name: string) => ((await show(name)).replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));
const events = async (name: string) => ((await t.api('GET', `/deployments/${name}/events`)).body.events as { message: string }[]).map((e) => e.message);

/**
 * A vLLM deployment of the stored repository that sleeps when idle, served once, then waited on until it
 * sleeps. Created at zero: a vLLM replica gets sleep mode at launch, so one started before `--idle sleep` was
 * set cannot sleep (its engine refuses) and stops instead.
 */
async function sleepingVllm(name: string): Promise<{ replica: ReplicaView; apiKey: string }> {
  const created = await t.api('POST', '/deployments', { name, engine: 'vllm', modelName: 'weights', replicas: 0 });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await sleepWhenIdle(t, name);
  const client = new OpenAI({ baseURL: `${t.url}/d/${name}/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 30_000 });
  await client.completions.create({ model: 'weights', prompt: 'hi', max_tokens: 2 });
  const replica = await untilAsleep(t, name, 30_000).catch(async (e) => {
    throw new Error(`${e.message}: ${(await events(name)).join('\n')}`);
  });
  return { replica: replica!, apiKey: created.body.apiKey };
}

test('a vLLM sleeper counts its stored weights against the host-RAM budget: the least recently slept one stops past it', async () => {
  assert.equal((await t.cli(['model', 'create', 'weights', '--from', join(dir, 'repo'), '--wait-timeout', '60'])).code, 0);
  const first = await sleepingVllm('first');
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  assert.ok(calls().includes(`${first.replica.pid} /sleep?level=1`), `the engine itself was put to sleep: ${calls().join(' | ')}`);
  const asleep = (await events('first')).find((m) => m.includes(`replica ${first.replica.id} asleep`));
  assert.match(asleep ?? '', /3\.0 MiB of host RAM, estimated: the stored model's weight files/);

  const second = await sleepingVllm('second');
  // 3 + 3 MiB > 5 MiB: the older sleeper stops, the newer is kept
  await waitFor(async () => (await live('first')).length === 0, { timeoutMs: 20_000, what: 'the first sleeper stopped for host RAM' });
  const stopped = (await events('first')).find((m) => m.includes(`replica ${first.replica.id} stopped while asleep`));
  assert.match(stopped ?? '', /host RAM for sleeping replicas over the budget \(5\.0 MiB\): least recently used/);
  await waitFor(() => !pidAlive(first.replica.pid!), { what: 'its process gone' });
  const [kept] = await live('second');
  assert.deepEqual([kept.id, kept.state], [second.replica.id, 'sleeping']);

  const client = new OpenAI({ baseURL: `${t.url}/d/second/v1`, apiKey: second.apiKey, maxRetries: 0, timeout: 30_000 });
  const c = await client.completions.create({ model: 'weights', prompt: 'again', max_tokens: 2 });
  assert.equal(c.usage?.completion_tokens, 2);
  const [now] = await live('second');
  assert.deepEqual([now.id, now.pid, now.state], [second.replica.id, second.replica.pid, 'ready'], 'woken, not replaced');
  assert.ok(calls().includes(`${second.replica.pid} /wake_up`));
});
