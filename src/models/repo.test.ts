// Model repositories in the model store, against the fake Hub over HTTP (src/test/fake-hub.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import type { InferscaleError } from '../core/errors.js';
import Database from 'better-sqlite3';
import { migrate, openDb } from '../store/db.js';
import { MODEL_MIGRATIONS, ModelStore, repoFiles } from './model-store.js';
import { SCHEMA } from '../store/schema.js';
import { waitFor } from '../test/harness.js';
import { commitSha, sha256Hex, startFakeHub, type FakeHub } from '../test/fake-hub.js';
import { checkSharedModel, ggufEntry, ModelService } from './service.js';
import { globToRegExp } from './hub.js';

const MAIN = commitSha('main');
const V1 = commitSha('v1');
const config = Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 64 }));
const tokenizer = Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'BPE' } }));
const shard1 = randomBytes(300_000);
const shard2 = randomBytes(200_000);
const total = config.length + tokenizer.length + shard1.length + shard2.length;

let hub: FakeHub;
let dir: string;
before(async () => {
  hub = await startFakeHub();
  hub.repos.set('org/llm', {
    refs: { main: MAIN, v1: V1 },
    files: [
      { path: 'config.json', data: config },
      { path: 'tokenizer.json', data: tokenizer },
      { path: 'model-00001-of-00002.safetensors', data: shard1, lfs: true },
      { path: 'model-00002-of-00002.safetensors', data: shard2, lfs: true },
    ],
  });
  hub.repos.set('org/gated', {
    refs: { main: MAIN },
    token: 'hf_good',
    files: [
      { path: 'config.json', data: config },
      { path: 'w.safetensors', data: shard2, lfs: true },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'inferscale-repo-'));
});
after(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function service(env: NodeJS.ProcessEnv = {}, dbPath = ':memory:') {
  const dataDir = join(dir, `data-${n++}`);
  const svc = new ModelService({
    db: openDb(dbPath, SCHEMA),
    clock: systemClock,
    dataDir,
    deployments: () => [],
    env: { INFERSCALE_HF_ENDPOINT: hub.url, ...env },
    download: { backoffMs: 5 },
    allowPrivateSources: true,
  });
  return { svc, dataDir };
}

test('hf:ORG/REPO@REV stores every file at the pinned commit: size before it starts, LFS sha256 checked, show lists files', async () => {
  const { svc, dataDir } = service();
  hub.treePageSize = 2; // the listing comes in pages, followed through their Link headers
  try {
    const created = await svc.create({ name: 'llm', from: 'hf:org/llm@v1' });
    assert.equal(created.revision, V1, 'the tag is resolved to its commit');
    assert.equal(created.sizeBytes, total, 'the total size is known before the download starts');
    assert.deepEqual(
      created.files!.map((f) => f.path),
      ['config.json', 'tokenizer.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    );
    await svc.settled('llm');
    const m = svc.view('llm');
    assert.equal(m.state, 'ready', m.stateDetails);
    assert.equal(m.sizeBytes, total);
    assert.equal(m.path, join(dataDir, 'models', 'llm', 'repo'));
    assert.ok(readFileSync(join(m.path, 'model-00001-of-00002.safetensors')).equals(shard1));
    assert.ok(readFileSync(join(m.path, 'config.json')).equals(config));
    assert.equal(m.files!.find((f) => f.path.startsWith('model-00002'))!.sha256, sha256Hex(shard2));
    const resolved = hub.seen.filter((s) => s.path.startsWith('/org/llm/resolve/') && s.method === 'GET').map((s) => s.path);
    assert.ok(
      resolved.every((p) => p.startsWith(`/org/llm/resolve/${V1}/`)),
      `bytes come from the pinned commit: ${resolved.join(' ')}`,
    );
    // a repository is a directory for vllm, sglang and command; llamacpp needs a GGUF in it
    assert.equal(svc.launchPath('vllm', 'llm'), m.path);
    assert.throws(() => svc.launchPath('llamacpp', 'llm'), /holds no GGUF file/);
    assert.ok(hub.seen.filter((s) => s.path === `/api/models/org/llm/tree/${V1}`).length >= 2, 'several pages');
    // pods fetch it themselves at the pinned commit, into a directory named for the repository and commit
    assert.deepEqual(svc.podModel('vllm', 'llm'), {
      url: `${hub.url}/org/llm`,
      fileName: `org--llm--${V1}`,
      sha256: null,
      auth: 'hf',
      repo: { revision: V1, include: [] },
    });
  } finally {
    hub.treePageSize = 1000;
    await svc.close();
  }
});

test('HA: a repository travels in the cluster catalog; a new leader serves it to pods at once and fetches its own copy', async () => {
  const { svc } = service();
  const next = service();
  try {
    await svc.create({ name: 'cat', from: 'hf:org/llm@v1', include: ['*.json'] });
    await svc.settled('cat');
    const env = { INFERSCALE_HF_ENDPOINT: hub.url };
    // through the ConfigMap as JSON, checked as any catalog entry
    const catalog = JSON.parse(JSON.stringify(svc.sharedCatalog())).map((m: unknown) => checkSharedModel(m, env));
    const entry = catalog.find((m: { name: string }) => m.name === 'cat');
    assert.deepEqual(entry.repo.revision, V1);
    assert.deepEqual(entry.repo.include, ['*.json']);
    for (const bad of [
      { ...entry.repo, revision: 'main' },
      { ...entry.repo, files: [{ path: '../etc/passwd', size: 1 }] },
      { ...entry.repo, files: [{ path: 'a', size: 1, sha256: 'x' }] },
    ]) {
      assert.throws(
        () => checkSharedModel({ ...entry, repo: bad }, env),
        (e: InferscaleError) => e.code === 'invalid_argument',
      );
    }
    assert.deepEqual(next.svc.adoptShared(catalog), ['cat']);
    assert.deepEqual(next.svc.podModel('vllm', 'cat')?.repo, { revision: V1, include: ['*.json'] }, 'pods fetch it while the new leader still does');
    next.svc.resumeInterrupted();
    await next.svc.settled('cat');
    const m = next.svc.view('cat');
    assert.equal(m.state, 'ready', m.stateDetails);
    assert.deepEqual(readdirSync(m.path).sort(), ['config.json', 'tokenizer.json']);
  } finally {
    await svc.close();
    await next.svc.close();
  }
});

test('a gated repository: no token is a forbidden error that leaves nothing; the token goes to the Hub, never to the CDN it redirects to', async () => {
  const anon = service();
  const before = anon.svc.store.list().length;
  await assert.rejects(
    anon.svc.create({ name: 'g', from: 'hf:org/gated' }),
    (e: InferscaleError) => e.code === 'forbidden' && e.details.reason === 'hf_token_required' && /gated/.test(e.message),
  );
  assert.equal(anon.svc.store.list().length, before);
  assert.equal(existsSync(join(anon.dataDir, 'models', 'g')), false);
  hub.lfsOnCdn = true;
  const { svc } = service({ HF_TOKEN: 'hf_good' });
  try {
    await svc.create({ name: 'g', from: 'hf:org/gated' });
    await svc.settled('g');
    assert.equal(svc.view('g').state, 'ready', svc.view('g').stateDetails);
    const cdn = hub.seen.filter((s) => s.host === 'cdn');
    assert.ok(cdn.length > 0, 'the LFS file came from the CDN origin');
    assert.ok(
      cdn.every((s) => s.auth === undefined),
      'no token to another origin',
    );
    assert.ok(hub.seen.some((s) => s.host === 'hub' && s.path.startsWith('/org/gated/resolve/') && s.auth === 'Bearer hf_good'));
  } finally {
    hub.lfsOnCdn = false;
    await svc.close();
  }
});

test('bad input is a stable error code and stores nothing: unknown revision, unknown repository, an include that matches nothing', async () => {
  const { svc, dataDir } = service();
  const code = (c: string, reason: string) => (e: InferscaleError) => e.code === c && e.details.reason === reason;
  await assert.rejects(svc.create({ name: 'x', from: 'hf:org/llm@nope' }), code('not_found', 'hf_revision_not_found'));
  await assert.rejects(svc.create({ name: 'x', from: 'hf:org/missing' }), code('not_found', 'hf_repo_not_found'));
  await assert.rejects(svc.create({ name: 'x', from: 'hf:org/llm', include: ['*.gguf'] }), code('invalid_argument', 'include_matches_nothing'));
  await assert.rejects(svc.create({ name: 'x', from: `${hub.url}/f.gguf`, include: ['*.json'] }), /include: is for repositories only/);
  assert.deepEqual(svc.store.list(), []);
  assert.equal(existsSync(join(dataDir, 'models', 'x')), false);
});

test('--include keeps the matching files; a file whose bytes differ from the LFS sha256 is discarded with a clear error', async () => {
  const { svc } = service();
  try {
    const v = await svc.create({ name: 'cfg', from: 'hf:org/llm', include: ['*.json'] });
    assert.deepEqual(
      v.files!.map((f) => f.path),
      ['config.json', 'tokenizer.json'],
    );
    await svc.settled('cfg');
    assert.deepEqual(readdirSync(svc.view('cfg').path).sort(), ['config.json', 'tokenizer.json']);
    hub.repos.set('org/bad', { refs: { main: MAIN }, files: [{ path: 'w.safetensors', data: shard2, lfs: true }] });
    await svc.create({ name: 'bad', from: 'hf:org/bad' });
    hub.repos.get('org/bad')!.files[0].data = randomBytes(shard2.length); // the bytes change after the listing
    await svc.settled('bad');
    const m = svc.view('bad');
    assert.equal(m.state, 'error');
    assert.match(m.stateDetails, new RegExp(`checksum mismatch: expected sha256 ${sha256Hex(shard2)}`));
    assert.deepEqual(readdirSync(m.path), [], 'the bad file is discarded');
  } finally {
    await svc.close();
  }
});

test('a repository download cut by a server stop resumes at the next start: the second run fetches less than the total', async () => {
  const dbPath = join(dir, 'resume.db');
  const first = service({}, dbPath);
  await first.svc.create({ name: 'big', from: 'hf:org/llm' });
  hub.interrupt('model-00001-of-00002.safetensors', 100_000, 'hang');
  await hub.interrupted();
  const cutAt = config.length + tokenizer.length + 100_000;
  await waitFor(() => first.svc.view('big').bytesDone === cutAt, { what: 'the first 100 kB of the shard on disk' });
  const served = hub.bytesServed;
  await first.svc.close(); // the server stops mid-file
  hub.release();
  assert.equal(first.svc.view('big').state, 'downloading');
  const second = new ModelService({
    db: openDb(dbPath, SCHEMA),
    clock: systemClock,
    dataDir: first.dataDir,
    deployments: () => [],
    env: { INFERSCALE_HF_ENDPOINT: hub.url },
    allowPrivateSources: true,
  });
  try {
    second.resumeInterrupted();
    await second.settled('big');
    const m = second.view('big');
    assert.equal(m.state, 'ready', m.stateDetails);
    const again = hub.bytesServed - served;
    assert.ok(again < total, `the second run fetched ${again} bytes of ${total}`);
    assert.ok(again <= total - 100_000, 'the first 100 kB of the shard were not fetched again');
    assert.ok(
      hub.seen.some((s) => s.path.endsWith('model-00001-of-00002.safetensors') && s.range === 'bytes=100000-'),
      'resumed with Range',
    );
    assert.ok(readFileSync(join(m.path, 'model-00001-of-00002.safetensors')).equals(shard1));
  } finally {
    await second.close();
  }
});

test('a local directory is copied as a repository (hidden files left out); llamacpp loads the first part of a split GGUF', async () => {
  const src = join(dir, 'local-repo');
  mkdirSync(join(src, '.git'), { recursive: true });
  mkdirSync(join(src, 'q4'), { recursive: true });
  writeFileSync(join(src, '.git', 'HEAD'), 'ref');
  writeFileSync(join(src, 'config.json'), config);
  writeFileSync(join(src, 'q4', 'm-00001-of-00002.gguf'), shard1);
  writeFileSync(join(src, 'q4', 'm-00002-of-00002.gguf'), shard2);
  const { svc } = service();
  try {
    const v = await svc.create({ name: 'local', from: src });
    assert.equal(v.kind, 'dir');
    await svc.settled('local');
    const m = svc.view('local');
    assert.equal(m.state, 'ready', m.stateDetails);
    assert.deepEqual(
      m.files!.map((f) => [f.path, f.sha256]),
      [
        ['config.json', sha256Hex(config)],
        ['q4/m-00001-of-00002.gguf', sha256Hex(shard1)],
        ['q4/m-00002-of-00002.gguf', sha256Hex(shard2)],
      ],
    );
    assert.equal(svc.launchPath('llamacpp', 'local'), join(m.path, 'q4', 'm-00001-of-00002.gguf'));
    assert.throws(() => svc.podModel('vllm', 'local'), /local directory .* pods in a Kubernetes zone cannot reach/);
  } finally {
    await svc.close();
  }
});

test('globs read as fnmatch; the GGUF entry of a repository', () => {
  assert.ok(globToRegExp('*.safetensors').test('sub/model.safetensors'));
  assert.ok(globToRegExp('model-0000[12]-of-*.gguf').test('model-00002-of-00003.gguf'));
  assert.equal(globToRegExp('a?.json').test('ab.json'), true);
  assert.equal(globToRegExp('*.json').test('model.bin'), false);
  assert.equal(
    ggufEntry('m', [
      { path: 'x.gguf', size: 1 },
      { path: 'README.md', size: 1 },
    ]),
    'x.gguf',
  );
  assert.throws(
    () =>
      ggufEntry('m', [
        { path: 'a.gguf', size: 1 },
        { path: 'b.gguf', size: 1 },
      ]),
    /2 GGUF files/,
  );
});

test('a model store from before repositories migrates: its single-file models read back with no revision or files', () => {
  const db = new Database(':memory:');
  migrate(db, [MODEL_MIGRATIONS], { models: 1 });
  db.prepare(
    `INSERT INTO models (name, source, kind, location, file_name, state, bytes_done, sha256, created_at, updated_at) VALUES ('old', '/m.gguf', 'file', '/m.gguf', 'm.gguf', 'ready', 3, ?, 1, 1)`,
  ).run('ab'.repeat(32));
  migrate(db, [MODEL_MIGRATIONS]);
  const m = new ModelStore(db).get('old')!;
  assert.deepEqual([m.fileName, m.revision, m.filesJson, m.includeJson, repoFiles(m)], ['m.gguf', null, null, null, null]);
});
