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
const run = (args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000 }, (e, _stdout, stderr) => resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, stderr }));
  });

test('the entry point fails with a message, and leaves no file, when the sha256 does not match', async () => {
  const out = join(dir, 'bad.gguf');
  const r = await run(['--url', `${origin.url}/m.gguf`, '--out', out, '--sha256', 'ab'.repeat(32)]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot fetch the model from .*sha256/i);
  assert.equal(existsSync(out), false);
  assert.equal((await run([])).status, 2);
});
