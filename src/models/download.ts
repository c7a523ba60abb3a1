/**
 * Resumable download into `<dest>.partial`, renamed to `dest` only once complete and checksummed, so a
 * file at `dest` is always whole. A dropped connection resumes from the partial file's size (HTTP
 * Range); a server that ignores Range starts again from zero. The sha256 is computed on the way in (the
 * bytes of a partial file left by an earlier process are hashed first).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { DownloadError, type SourceOpener } from './fetch.js';

export interface DownloadOptions {
  dest: string;
  open: SourceOpener;
  clock: Clock;
  signal: AbortSignal;
  /** lowercase hex; a mismatch deletes the partial file and fails without retry */
  expectedSha256?: string;
  onProgress?: (done: number, total: number | undefined) => void;
  /** attempts in a row without progress before giving up (default 6) */
  maxAttempts?: number;
  /** an attempt that receives nothing for this long is abandoned and resumed (default 60 s) */
  stallMs?: number;
  /** first retry delay, doubled each time up to 30 s (default 500 ms) */
  backoffMs?: number;
}

export interface Downloaded {
  size: number;
  sha256: string;
}

async function hashFile(path: string, hash: Hash): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      t.cancel();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function checksum(sha256: string, expected: string | undefined): void {
  if (expected && sha256 !== expected) throw new DownloadError(`checksum mismatch: expected sha256 ${expected}, got ${sha256}`, false, 'checksum');
}

export async function downloadFile(o: DownloadOptions): Promise<Downloaded> {
  const partial = `${o.dest}.partial`;
  if (existsSync(o.dest) && !existsSync(partial)) {
    // finished by an earlier process that stopped before recording it
    const hash = createHash('sha256');
    const size = await hashFile(o.dest, hash);
    const sha256 = hash.digest('hex');
    checksum(sha256, o.expectedSha256);
    return { size, sha256 };
  }
  let hash = createHash('sha256');
  let done = existsSync(partial) ? await hashFile(partial, hash) : 0;
  const restart = async () => {
    await truncate(partial, 0).catch(() => undefined);
    hash = createHash('sha256');
    done = 0;
  };
  let failures = 0;
  for (;;) {
    o.signal.throwIfAborted();
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(o.signal.reason);
    o.signal.addEventListener('abort', onAbort, { once: true });
    let stall: { cancel(): void } | undefined;
    const arm = () => {
      stall?.cancel();
      stall = o.clock.setTimeout(() => attempt.abort(new DownloadError(`no data for ${Math.round((o.stallMs ?? 60_000) / 1000)} s`, true)), o.stallMs ?? 60_000);
    };
    const before = done;
    try {
      arm();
      const src = await o.open(done, attempt.signal);
      if (src.start !== done) {
        if (src.start !== 0) throw new DownloadError(`the server resumed at byte ${src.start}, not ${done}`, true, 'restart');
        await restart();
      }
      if (src.total !== undefined && done > src.total) throw new DownloadError(`partial file larger than the ${src.total} bytes announced`, true, 'restart');
      o.onProgress?.(done, src.total);
      const fh = await open(partial, done === 0 ? 'w' : 'a');
      try {
        for await (const chunk of src.body) {
          arm();
          await fh.write(chunk);
          hash.update(chunk);
          done += chunk.length;
          o.onProgress?.(done, src.total);
        }
      } finally {
        await fh.close();
      }
      if (src.total !== undefined && done < src.total) throw new DownloadError(`connection closed after ${done} of ${src.total} bytes`, true);
      if (src.total !== undefined && done > src.total) throw new DownloadError(`received ${done} bytes, more than the ${src.total} announced`, true, 'restart');
      break;
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason;
      const err = e instanceof DownloadError ? e : attempt.signal.reason instanceof DownloadError ? attempt.signal.reason : new DownloadError((e as Error).message, true);
      if (!err.retryable) throw err;
      if (err.reason === 'restart') await restart();
      failures = done > before ? 1 : failures + 1;
      if (failures >= (o.maxAttempts ?? 6)) throw new DownloadError(`gave up after ${failures} attempts without progress: ${err.message}`, false, err.reason);
      await sleep(o.clock, Math.min(30_000, (o.backoffMs ?? 500) * 2 ** (failures - 1)), o.signal);
    } finally {
      stall?.cancel();
      attempt.abort();
      o.signal.removeEventListener('abort', onAbort);
    }
  }
  const sha256 = hash.digest('hex');
  try {
    checksum(sha256, o.expectedSha256);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  await rename(partial, o.dest);
  return { size: (await stat(o.dest)).size, sha256 };
}
