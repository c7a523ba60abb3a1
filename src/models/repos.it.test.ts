import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { commitSha, startFakeHub, type FakeHub } from '../test/fake-hub.js';

// The Done-when of issue #15 item 1-2, end to end: a gated repository of a few MB pinned to a revision,
// created through the CLI from the fake Hub over HTTP, its download cut by a server restart and resumed,
// then served by the fake vLLM (src/test/fake-engine.ts) through the gateway with the official openai client,
// and a second replica started without a byte fetched from the Hub.
const FAKE = fileURLToPath(new URL('../test/fake-engine.js', import.meta.url));
const V1 = commitSha('v1');
const files = [
  { path: 'config.json', data: Buffer.from(JSON.stringify({ architectures: ['Qwen2ForCausalLM'], hidden_size: 896 })) },
  { path: 'generation_config.json', data: Buffer.from('{"do_sample": true}') },
  { path: 'tokenizer.json', data: Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {} } })) },
  { path: 'model-00001-of-00002.safetensors', data: randomBytes(2_000_000), lfs: true },
  { path: 'model-00002-of-00002.safetensors', data: randomBytes(1_500_000), lfs: true },
];
const total = files.reduce((n, f) => n + f.data.length, 0);

let t: TestServer;
let hub: FakeHub;
let dir: string;
const saved = { endpoint: process.env.INFERSCALE_HF_ENDPOINT, token: process.env.HF_TOKEN };
before(async () => {
  hub = await startFakeHub();
  hub.lfsOnCdn = true;
  hub.repos.set('org/qwen-tiny', { refs: { main: commitSha('main'), v1: V1 }, files, token: 'hf_gated' });
  dir = mkdtempSync(join(tmpdir(), 'inferscale-repos-'));
  // the fake vllm, behind a script that records what each replica was given: its model argument, whether
  // that path holds the repository, and HF_HUB_OFFLINE
  writeFileSync(
    join(dir, 'vllm'),
    `#!/bin/sh\n[ -f "$2/config.json" ] && has=yes || has=no\necho "$2 $has \${HF_HUB_OFFLINE:-unset}" >> "${join(dir, 'launches')}"\nexec "${process.execPath}" "${FAKE}" "$@"\n`,
  );
  chmodSync(join(dir, 'vllm'), 0o755);
  process.env.INFERSCALE_VLLM_BIN = join(dir, 'vllm');
  process.env.INFERSCALE_HF_ENDPOINT = hub.url;
  delete process.env.HF_TOKEN;
  t = await startTestServer();
});
after(async () => {
  await t.close();
  await hub.close();
  delete process.env.INFERSCALE_VLLM_BIN;
  if (saved.endpoint === undefined) delete process.env.INFERSCALE_HF_ENDPOINT;
  else process.env.INFERSCALE_HF_ENDPOINT = saved.endpoint;
  if (saved.token !== undefined) process.env.HF_TOKEN = saved.token;
  rmSync(dir, { recursive: true, force: true });
});

const model = async (name: string) => (await t.api('GET', `/models/${name}`)).body;

test('a gated repository pinned to a revision: created, resumed after a restart, served by the fake vLLM; a second replica fetches nothing', async () => {
  // bad input first: clear errors, nothing stored
  const denied = await t.cli(['model', 'create', 'qwen', '--from', 'hf:org/qwen-tiny@v1']);
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /forbidden.*gated.*--hf-token/);
  const norev = await t.cli(['model', 'create', 'qwen', '--from', 'hf:org/qwen-tiny@v9', '--hf-token', 'hf_gated']);
  assert.match(norev.stderr, /not_found.*no revision "v9"/);
  const noglob = await t.cli(['model', 'create', 'qwen', '--from', 'hf:org/qwen-tiny', '--hf-token', 'hf_gated', '--include', '*.gguf']);
  assert.match(noglob.stderr, /invalid_argument.*include: "\*\.gguf" matches no file/);
  assert.equal((await model('qwen'))?.error?.code, 'not_found', 'nothing left behind');

  // the download is cut mid-shard by a server restart, and resumes from the partial file
  hub.interrupt('model-00001-of-00002.safetensors', 1_000_000, 'hang');
  const created = await t.cli(['model', 'create', 'qwen', '--from', 'hf:org/qwen-tiny@v1', '--hf-token', 'hf_gated', '--no-wait']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, new RegExp(`qwen: 5 files at revision ${V1}, 3\\.34 MiB`), 'the size is shown before it starts');
  await hub.interrupted();
  const cutAt = files.slice(0, 3).reduce((n, f) => n + f.data.length, 0) + 1_000_000;
  await waitFor(async () => (await model('qwen')).bytesDone === cutAt, { what: 'the first MB of the shard on disk' });
  const firstRun = hub.bytesServed;
  await t.restart();
  hub.release();
  await waitFor(async () => (await model('qwen')).state === 'ready', { what: 'qwen ready after the restart' });
  const secondRun = hub.bytesServed - firstRun;
  assert.ok(secondRun < total, `the resumed download fetched ${secondRun} of ${total} bytes`);
  assert.equal(secondRun, total - cutAt, 'exactly what was missing');
  assert.ok(
    hub.seen.filter((s) => s.host === 'cdn').every((s) => s.auth === undefined),
    'the token never went to the CDN',
  );
  const shown = await t.cli(['model', 'show', 'qwen']);
  assert.match(shown.stdout, new RegExp(`Revision\\s+${V1}`));
  assert.match(shown.stdout, /model-00002-of-00002\.safetensors\s+1\.43 MiB/);
  assert.match(shown.stdout, /config\.json/);

  // served by the fake vLLM from the stored directory, offline, through the gateway with the openai client
  const r = await t.api('POST', '/deployments', { name: 'chat', engine: 'vllm', modelName: 'qwen' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitFor(async () => (await t.api('GET', '/deployments/chat')).body.readyReplicas === 1, { what: 'chat ready' });
  const client = new OpenAI({ baseURL: `${t.url}/d/chat/v1`, apiKey: r.body.apiKey });
  const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 });
  assert.ok(answer.choices[0].message.content, 'answered');
  const path = (await model('qwen')).path;
  assert.deepEqual(
    readFileSync(join(dir, 'launches'), 'utf8').trim().split('\n'),
    [`${path} yes 1`],
    'vllm got the repository directory, with HF_HUB_OFFLINE=1',
  );

  // a second replica: started from the store, not a byte from the Hub
  const bytes = hub.bytesServed;
  const requests = hub.seen.length;
  assert.equal((await t.api('POST', '/deployments/chat/scale', { replicas: 2 })).status, 200);
  await waitFor(async () => (await t.api('GET', '/deployments/chat')).body.readyReplicas === 2, { what: 'two replicas ready' });
  assert.equal(hub.bytesServed, bytes, 'the second replica fetched 0 bytes');
  assert.equal(hub.seen.length, requests, 'and asked the Hub nothing');
  assert.equal(readFileSync(join(dir, 'launches'), 'utf8').trim().split('\n').length, 2);
  assert.ok(existsSync(join(path, 'model-00002-of-00002.safetensors')));
});
