import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { startOrigin, type Origin } from './test-origin.js';

// The model store end to end: the real server and CLI, a local HTTP origin standing in for the Hugging
// Face Hub (INFERSCALE_HF_ENDPOINT), the real tiny GGUF file for the local-path case.
const STORIES = fileURLToPath(new URL('../../../shared/models/stories260K.gguf', import.meta.url));
const STORIES_SHA = '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d';
let t: TestServer;
let origin: Origin;
const saved = { endpoint: process.env.INFERSCALE_HF_ENDPOINT, token: process.env.HF_TOKEN };
before(async () => {
  origin = await startOrigin();
  process.env.INFERSCALE_HF_ENDPOINT = origin.url;
  delete process.env.HF_TOKEN;
  t = await startTestServer();
});
after(async () => {
  await t.close();
  await origin.close();
  if (saved.endpoint === undefined) delete process.env.INFERSCALE_HF_ENDPOINT;
  else process.env.INFERSCALE_HF_ENDPOINT = saved.endpoint;
  if (saved.token !== undefined) process.env.HF_TOKEN = saved.token;
});

const model = async (name: string) => (await t.api('GET', `/models/${name}`)).body;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('model create from a local path: ready with size and sha256, stored once under <dataDir>/models; list and show', async () => {
  const r = await t.cli(['model', 'create', 'stories', '--from', STORIES, '--wait-timeout', '60', '-O', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.equal(m.state, 'ready');
  assert.equal(m.sizeBytes, 1185376);
  assert.equal(m.sha256, STORIES_SHA);
  assert.equal(m.path, join(t.dataDir, 'models', 'stories', 'stories260K.gguf'));
  assert.deepEqual(readdirSync(join(t.dataDir, 'models', 'stories')), ['stories260K.gguf']);
  const list = await t.cli(['model', 'list']);
  assert.match(list.stdout, /^NAME\s+STATE\s+PROGRESS\s+SIZE\s+SHA256/);
  assert.match(list.stdout, /stories\s+ready\s+done\s+1\.13 MiB\s+270cba1bd510/);
  const shown = await t.cli(['model', 'show', 'stories']);
  assert.match(shown.stdout, /SHA256\s+270cba1bd5109f42/);
  const dup = await t.cli(['model', 'create', 'stories', '--from', STORIES]);
  assert.equal(dup.code, 7);
  assert.match(dup.stderr, /already_exists/);
});

test('hf: needs the token (401 names --hf-token), resumes a dropped connection with Range, checks --sha256', async () => {
  const data = randomBytes(400_000);
  origin.files.set('/org/tiny/resolve/main/sub/tiny.gguf', { data, token: 'hf_secret', dropFirst: 1 });
  const denied = await t.cli(['model', 'create', 'denied', '--from', 'hf:org/tiny/sub/tiny.gguf', '--wait-timeout', '60']);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /HTTP 401 .*--hf-token/);
  assert.equal((await model('denied')).state, 'error');
  const r = await t.cli([
    'model',
    'create',
    'tiny',
    '--from',
    'hf:org/tiny/sub/tiny.gguf',
    '--hf-token',
    'hf_secret',
    '--sha256',
    sha(data),
    '--wait-timeout',
    '60',
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).sha256, sha(data));
  const seen = origin.seen.filter((s) => s.path === '/org/tiny/resolve/main/sub/tiny.gguf' && s.auth === 'Bearer hf_secret');
  assert.ok(
    seen.some((s) => /^bytes=\d+-$/.test(s.range ?? '')),
    'the second request resumed with Range',
  );
  assert.equal(JSON.stringify(await model('tiny')).includes('hf_secret'), false, 'the token is never shown');
  // (hf:ORG/REPO without a file is a whole repository: repos.it.test.ts, against the fake Hub)
  for (const n of ['denied', 'tiny']) assert.equal((await t.cli(['model', 'delete', n])).code, 0);
});

test('a checksum mismatch ends in "error" with nothing left that looks ready', async () => {
  origin.files.set('/bad.gguf', { data: randomBytes(50_000) });
  const r = await t.api('POST', '/models', { name: 'bad', from: `${origin.url}/bad.gguf`, sha256: 'ab'.repeat(32) });
  assert.equal(r.status, 201);
  assert.equal(r.body.state, 'downloading');
  const m = await waitFor(async () => ((await model('bad')).state === 'error' ? model('bad') : undefined), { what: 'bad in error' });
  assert.match(m.stateDetails, /checksum mismatch: expected sha256 (ab){32}/);
  assert.deepEqual(readdirSync(join(t.dataDir, 'models', 'bad')), []);
  const refused = await t.api('POST', '/deployments', { name: 'uses-bad', modelName: 'bad', engine: 'llamacpp' });
  assert.equal(refused.status, 409);
  assert.match(refused.body.error.message, /failed to download/);
  assert.equal((await t.api('DELETE', '/models/bad')).status, 200);
  assert.equal(existsSync(join(t.dataDir, 'models', 'bad')), false);
});

test('deleting a model in use is refused with model_in_use naming the deployments; llamacpp needs a stored model', async () => {
  for (const name of ['app-a', 'app-b']) assert.equal((await t.api('POST', '/deployments', { name, modelName: 'stories', replicas: 0 })).status, 201);
  const r = await t.cli(['model', 'delete', 'stories']);
  assert.equal(r.code, 7);
  assert.match(r.stderr, /error \(model_in_use\): model "stories" is used by deployments app-a, app-b/);
  const api = await t.api('DELETE', '/models/stories');
  assert.equal(api.status, 409);
  assert.deepEqual(api.body.error.details.deployments, ['app-a', 'app-b']);
  assert.deepEqual((await model('stories')).usedBy, ['app-a', 'app-b']);
  const missing = await t.cli(['deployment', 'create', 'x', '--engine', 'llamacpp', '--model-name', 'nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /invalid_argument.*no model "nope" in the model store.*inferscale model create nope --from/);
  for (const name of ['app-a', 'app-b']) await t.api('DELETE', `/deployments/${name}`);
  await waitFor(async () => (await t.api('GET', '/deployments/app-b')).status === 404, { what: 'deployments gone' });
  assert.equal((await t.cli(['model', 'delete', 'stories'])).code, 0);
  assert.equal(existsSync(join(t.dataDir, 'models', 'stories')), false);
});

test('a download cut by a server restart resumes from the partial file when the server starts again', async () => {
  const data = randomBytes(2_000_000);
  origin.files.set('/big.gguf', { data, stallFirst: 1 });
  assert.equal((await t.api('POST', '/models', { name: 'big', from: `${origin.url}/big.gguf` })).status, 201);
  const m = await waitFor(async () => ((await model('big')).bytesDone > 0 ? model('big') : undefined), { what: 'progress' });
  assert.equal(m.state, 'downloading');
  assert.ok(m.progress > 0 && m.progress < 1, `progress ${m.progress}`);
  assert.match((await t.cli(['model', 'list'])).stdout, /big\s+downloading\s+50\.0% of 1\.91 MiB/);
  await t.restart();
  await waitFor(async () => (await model('big')).state === 'ready', { what: 'big ready after restart' });
  assert.equal((await model('big')).sha256, sha(data));
  assert.equal(origin.seen.filter((s) => s.path === '/big.gguf').at(-1)!.range, `bytes=${data.length / 2}-`);
});
