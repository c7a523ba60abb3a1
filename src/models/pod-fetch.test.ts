// The init container's fetcher against a local HTTP origin, in process and as the real entry point.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, type Origin } from './test-origin.js';
import { fetchForPod } from './pod-fetch.js';

const MAIN = fileURLToPath(new URL('./pod-fetch.js', import.meta.url));
const data = Buffer.from('GGUF'.repeat(50_000));
const sha = createHash('sha256').update(data).digest('hex');
let origin: Origin;
let dir: string;
before(async () => {
  origin = await startOrigin();
  origin.files.set('/m.gguf', { data, dropFirst: 1 });
  dir = mkdtempSync(join(tmpdir(), 'pod-fetch-'));
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
  assert.ok(origin.seen.some((s) => s.range), 'the second attempt resumed with a Range request');
  const requests = origin.seen.length;
  assert.equal(await fetchForPod({ url: `${origin.url}/m.gguf`, out, sha256: sha, log: () => undefined }), 'kept');
  assert.equal(origin.seen.length, requests, 'a container restart does not fetch again');
});

// the origin runs in this process: the child must be awaited, never run synchronously
const run = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const { HF_TOKEN: _, ...rest } = process.env;
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000, env: { ...rest, ...env } }, (e, stdout, stderr) => resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }));
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
