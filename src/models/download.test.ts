import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { downloadFile } from './download.js';
import { fileOpener, httpOpener } from './fetch.js';
import { startOrigin, whenWritten, type Origin } from './test-origin.js';

// Downloads against a local HTTP origin: resume with Range after a dropped connection, a clean restart
// when Range is ignored, checksum mismatch, non-retryable HTTP errors.
const data = randomBytes(300_000);
const sha = createHash('sha256').update(data).digest('hex');
let origin: Origin;
let dir: string;
before(async () => {
  origin = await startOrigin();
  dir = mkdtempSync(join(tmpdir(), 'inferscale-dl-'));
});
after(async () => {
  await origin.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, dest: string, extra: Partial<Parameters<typeof downloadFile>[0]> = {}) =>
  downloadFile({
    dest: join(dir, dest),
    open: httpOpener(origin.url + path),
    clock: systemClock,
    signal: new AbortController().signal,
    backoffMs: 5,
    ...extra,
  });

test('a dropped connection resumes with Range; the file appears only when whole and checksummed', async () => {
  origin.files.set('/a.gguf', { data, dropFirst: 2, dropWhen: whenWritten(join(dir, 'a.gguf')) });
  const seen: number[] = [];
  const r = await get('/a.gguf', 'a.gguf', { expectedSha256: sha, onProgress: (d) => seen.push(d) });
  assert.deepEqual(r, { size: data.length, sha256: sha });
  assert.ok(readFileSync(join(dir, 'a.gguf')).equals(data));
  assert.equal(existsSync(join(dir, 'a.gguf.partial')), false);
  const ranges = origin.seen.filter((s) => s.path === '/a.gguf').map((s) => s.range);
  assert.equal(ranges.length, 3);
  assert.equal(ranges[0], undefined);
  assert.match(ranges[1]!, /^bytes=\d+-$/);
  assert.ok(Number(/\d+/.exec(ranges[2]!)![0]) > Number(/\d+/.exec(ranges[1]!)![0]), 'each retry resumes further on');
  assert.ok(
    seen.every((v, i) => i === 0 || v >= seen[i - 1]),
    'progress never goes backwards',
  );
});

test('a server that ignores Range makes the download start again cleanly', async () => {
  origin.files.set('/b.gguf', { data, dropFirst: 1, ignoreRange: true });
  const r = await get('/b.gguf', 'b.gguf');
  assert.equal(r.sha256, sha);
  assert.ok(readFileSync(join(dir, 'b.gguf')).equals(data));
});

test('a partial file left by an earlier process is hashed and resumed from its size', async () => {
  origin.files.set('/c.gguf', { data });
  writeFileSync(join(dir, 'c.gguf.partial'), data.subarray(0, 123_456));
  const r = await get('/c.gguf', 'c.gguf', { expectedSha256: sha });
  assert.equal(r.sha256, sha);
  assert.equal(origin.seen.filter((s) => s.path === '/c.gguf').at(-1)!.range, 'bytes=123456-');
});

test('a checksum mismatch fails without retry and leaves neither the file nor a partial', async () => {
  origin.files.set('/d.gguf', { data });
  await assert.rejects(get('/d.gguf', 'd.gguf', { expectedSha256: '0'.repeat(64) }), /checksum mismatch: expected sha256 0{64}, got [0-9a-f]{64}/);
  assert.equal(existsSync(join(dir, 'd.gguf')), false);
  assert.equal(existsSync(join(dir, 'd.gguf.partial')), false);
});

test('404 and 401 fail at once with a clear message; a file source copies with the same pipeline', async () => {
  await assert.rejects(get('/missing.gguf', 'm.gguf'), /HTTP 404 .*no such file/);
  origin.files.set('/private.gguf', { data, token: 'secret' });
  await assert.rejects(get('/private.gguf', 'p.gguf'), /HTTP 401 .*--hf-token or set HF_TOKEN/);
  const ok = await downloadFile({
    dest: join(dir, 'p2.gguf'),
    open: httpOpener(`${origin.url}/private.gguf`, { authorization: 'Bearer secret' }),
    clock: systemClock,
    signal: new AbortController().signal,
  });
  assert.equal(ok.sha256, sha);
  const copied = await downloadFile({
    dest: join(dir, 'copy.gguf'),
    open: fileOpener(join(dir, 'p2.gguf')),
    clock: systemClock,
    signal: new AbortController().signal,
  });
  assert.deepEqual(copied, { size: data.length, sha256: sha });
});

test('an attempt that stalls is abandoned and resumed', async () => {
  origin.files.set('/e.gguf', { data, stallFirst: 1 });
  const r = await get('/e.gguf', 'e.gguf', { stallMs: 200, expectedSha256: sha });
  assert.equal(r.size, data.length);
  assert.match(origin.seen.filter((s) => s.path === '/e.gguf')[1].range ?? '', /^bytes=\d+-$/);
});

test('a size cap: a file announced above it fails at once (no retry), one that streams past it fails there; no partial file is left', async () => {
  origin.files.set('/big.gguf', { data });
  await assert.rejects(
    get('/big.gguf', 'big.gguf', { maxBytes: 100_000 }),
    (e: any) => e.retryable === false && /above the cap of .* --max-model-bytes/.test(e.message),
  );
  assert.equal(origin.seen.filter((s) => s.path === '/big.gguf').length, 1, 'not retried');
  assert.equal(existsSync(join(dir, 'big.gguf.partial')), false);
  // no size announced: a local opener that hides it
  const hidden = async (offset: number, signal: AbortSignal) => ({ ...(await fileOpener(join(dir, 'a.gguf'))(offset, signal)), total: undefined });
  await assert.rejects(
    downloadFile({ dest: join(dir, 'big2.gguf'), open: hidden, clock: systemClock, signal: new AbortController().signal, maxBytes: 100_000 }),
    /larger than the cap/,
  );
  assert.equal(existsSync(join(dir, 'big2.gguf.partial')), false);
});

test('free space is checked first: a file that would not fit (with 1 GiB kept free) fails before any byte is written', async () => {
  origin.files.set('/fit.gguf', { data });
  let asked = '';
  const freeBytes = async (d: string) => {
    asked = d;
    return 2 ** 30 + data.length - 1;
  };
  await assert.rejects(
    get('/fit.gguf', 'fit.gguf', { freeBytes }),
    (e: any) =>
      e.retryable === false && /not enough free space in .*: 1\.0 GiB free, the rest of the file needs 0\.000 GiB plus 1\.0 GiB kept free/.test(e.message),
  );
  assert.equal(asked, dir);
  assert.equal(existsSync(join(dir, 'fit.gguf.partial')), false);
  const ok = await get('/fit.gguf', 'fit.gguf', { freeBytes: async () => 2 ** 30 + data.length });
  assert.equal(ok.size, data.length);
});
