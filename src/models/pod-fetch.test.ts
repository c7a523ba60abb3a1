// The init container's fetcher against a local HTTP origin, in process and as the real entry point.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, whenWritten, type Origin } from './test-origin.js';
import { fetchForPod, fetchRepoForPod } from './pod-fetch.js';
import { commitSha, startFakeHub } from '../test/fake-hub.js';

const MAIN = fileURLToPath(new URL('./pod-fetch.js', import.meta.url));
const data = Buffer.from('GGUF'.repeat(50_000));
const sha = createHash('sha256').update(data).digest('hex');
let origin: Origin;
let dir: string;
before(async () => {
  origin = await startOrigin();
  dir = mkdtempSync(join(tmpdir(), 'pod-fetch-'));
  origin.files.set('/m.gguf', { data, dropFirst: 1, dropWhen: whenWritten(join(dir, 'models', 'm.gguf')) });
});
after(async () => {
  await origin.close();
  rmSync(dir, { recursive: true, force: true });
});

test('fetches (resuming after a dropped connection), checks the sha256, and keeps a good file on a restart', async () => {
  const out = join(dir, 'models', 'm.gguf');
  const lines: string[] = [];
  assert.equal(await fetchForPod({ url: `${origin.url}/m.gguf`, out, sha256: sha, log: (l) => lines.push(l) }), 'fetched');
  assert.ok(readFileSync(out).equals(data));
  assert.ok(
    origin.seen.some((s) => s.range),
    'the second attempt resumed with a Range request',
  );
  const requests = origin.seen.length;
  assert.equal(await fetchForPod({ url: `${origin.url}/m.gguf`, out, sha256: sha, log: () => undefined }), 'kept');
  assert.equal(origin.seen.length, requests, 'a container restart does not fetch again');
});

// the origin runs in this process: the child must be awaited, never run synchronously
const run = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const { HF_TOKEN: _, ...rest } = process.env;
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000, env: { ...rest, ...env } }, (e, stdout, stderr) =>
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }),
    );
  });

test('--auth hf: a gated file is fetched with $HF_TOKEN; without it the error says which Secret to create', async () => {
  origin.files.set('/org/gated/resolve/main/g.gguf', { data, token: 'hf_pod' });
  const url = `${origin.url}/org/gated/resolve/main/g.gguf`;
  const out = join(dir, 'gated.gguf');
  const denied = await run(['--url', url, '--out', out, '--sha256', sha, '--auth', 'hf', '--token-secret', 'hub/tok']);
  assert.equal(denied.status, 1);
  assert.match(denied.stdout, /no Hugging Face token \(no Secret hub\/tok\)/);
  assert.match(denied.stderr, /HTTP 401 .*kubectl create secret generic hub --from-literal=tok=hf_\.\.\./);
  assert.equal(existsSync(out), false);
  const ok = await run(['--url', url, '--out', out, '--sha256', sha, '--auth', 'hf', '--token-secret', 'hub/tok'], { HF_TOKEN: 'hf_pod' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(readFileSync(out).equals(data));
  assert.ok(origin.seen.some((s) => s.path === '/org/gated/resolve/main/g.gguf' && s.auth === 'Bearer hf_pod'));
  assert.equal((await run(['--url', url, '--out', out, '--auth', 'basic'])).status, 2);
});

test('the entry point fails with a message, and leaves no file, when the sha256 does not match', async () => {
  const out = join(dir, 'bad.gguf');
  const r = await run(['--url', `${origin.url}/m.gguf`, '--out', out, '--sha256', 'ab'.repeat(32)]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot fetch the model from .*sha256/i);
  assert.equal(existsSync(out), false);
  assert.equal((await run([])).status, 2);
});

// A repository into a node's cache directory, against the fake Hub (src/test/fake-hub.ts): the second pod on
// the node fetches nothing, and two pods starting together fetch each file once (the lock).
test('a repository in a node cache: fetched once, the next pod fetches 0 bytes, two concurrent pods share one fetch', async () => {
  const hub = await startFakeHub();
  const files = [
    { path: 'config.json', data: Buffer.from('{"model_type":"llama"}') },
    { path: 'tokenizer.json', data: Buffer.from('{"version":"1.0"}') },
    { path: 'model-00001-of-00002.safetensors', data: randomBytes(700_000), lfs: true },
    { path: 'model-00002-of-00002.safetensors', data: randomBytes(500_000), lfs: true },
  ];
  const total = files.reduce((n, f) => n + f.data.length, 0);
  const sha = commitSha('pod');
  hub.repos.set('org/llm', { refs: { main: sha }, files, token: 'hf_pod' });
  const cache = join(dir, 'node-cache');
  const headers = { authorization: 'Bearer hf_pod' };
  const pod = (out: string) =>
    fetchRepoForPod({ repoUrl: `${hub.url}/org/llm`, revision: sha, include: [], out, headers, log: () => undefined, lock: { pollMs: 20 } });
  try {
    const out = join(cache, `org--llm--${sha}`);
    assert.deepEqual(await pod(out), { fetchedFiles: 4, files: 4 });
    assert.equal(hub.bytesServed, total);
    for (const f of files) assert.ok(readFileSync(join(out, f.path)).equals(f.data), f.path);
    const requests = hub.seen.length;
    assert.deepEqual(await pod(out), { fetchedFiles: 0, files: 4 });
    assert.equal(hub.bytesServed, total, 'the second pod on the node fetches 0 bytes');
    assert.equal(hub.seen.length, requests, 'nor asks the Hub anything');
    // a file lost from the cache: only that one is fetched again
    rmSync(join(out, 'tokenizer.json'));
    assert.deepEqual(await pod(out), { fetchedFiles: 1, files: 4 });
    assert.equal(hub.bytesServed, total + files[1].data.length);
    // two pods at once on a fresh node: one fetches, the other waits on the lock and finds it complete
    const fresh = join(cache, 'fresh');
    const before = hub.bytesServed;
    const [a, b] = await Promise.all([pod(fresh), pod(fresh)]);
    assert.deepEqual([a.fetchedFiles + b.fetchedFiles, a.files, b.files], [4, 4, 4]);
    assert.equal(hub.bytesServed - before, total, 'each file fetched once');
    assert.equal(existsSync(`${fresh}.lock`), false, 'the lock is released');
    // the same with two processes, as two init containers on one node are
    const procs = join(cache, 'procs');
    const at = hub.bytesServed;
    const args = ['--repo', `${hub.url}/org/llm`, '--revision', sha, '--out', procs, '--auth', 'hf'];
    const both = await Promise.all([run(args, { HF_TOKEN: 'hf_pod' }), run(args, { HF_TOKEN: 'hf_pod' })]);
    for (const r of both) assert.equal(r.status, 0, r.stderr);
    assert.equal(hub.bytesServed - at, total, 'two processes: each file fetched once');
    assert.equal(both.filter((r) => /4 of 4 files fetched now/.test(r.stdout)).length, 1, both.map((r) => r.stdout).join('\n'));
  } finally {
    await hub.close();
  }
});

test('the entry point in repository mode: a gated repository without $HF_TOKEN fails naming the Secret, with it succeeds', async () => {
  const hub = await startFakeHub();
  const sha = commitSha('gated');
  hub.repos.set('org/gated', {
    refs: { main: sha },
    token: 'hf_pod',
    files: [
      { path: 'config.json', data: Buffer.from('{}') },
      { path: 'w.safetensors', data: randomBytes(10_000), lfs: true },
    ],
  });
  const out = join(dir, 'gated-repo');
  const args = ['--repo', `${hub.url}/org/gated`, '--revision', sha, '--out', out, '--include', '*.safetensors', '--auth', 'hf', '--token-secret', 'hub/tok'];
  try {
    const denied = await run(args);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /gated.*kubectl create secret generic hub --from-literal=tok=hf_\.\.\./);
    assert.equal(existsSync(out), false);
    const ok = await run(args, { HF_TOKEN: 'hf_pod' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /1 of 1 files fetched now/);
    assert.equal(existsSync(join(out, 'config.json')), false, '--include keeps the safetensors only');
    assert.equal(existsSync(join(out, 'w.safetensors')), true);
  } finally {
    await hub.close();
  }
});
