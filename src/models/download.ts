/**
 * Resumable download into `<dest>.partial`, renamed to `dest` only once complete and checksummed, so a
 * file at `dest` is always whole. A dropped connection resumes from the partial file's size (HTTP
 * Range); a server that ignores Range starts again from zero. The sha256 is computed on the way in (the
 * bytes of a partial file left by an earlier process are hashed first).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, rename, rm, stat, statfs, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  /** the largest file accepted, bytes: a larger announced size fails at once, a larger stream when it passes it */
  maxBytes?: number;
  /** free bytes on the file system of `dir` (default: fs.statfs); the download needs what is left of it plus `reserveBytes` */
  freeBytes?: (dir: string) => Promise<number>;
  /** space left free for the server's own files (default 1 GiB) */
  reserveBytes?: number;
}

/** The default cap on a model file: 256 GiB. */
export const DEFAULT_MAX_MODEL_BYTES = 256 * 2 ** 30;
const DEFAULT_RESERVE_BYTES = 2 ** 30;
/** while the size is unknown, free space is checked again every this many bytes */
const SPACE_CHECK_EVERY = 64 * 2 ** 20;

export async function statfsFree(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

const gib = (n: number) => `${(n / 2 ** 30).toFixed(n < 2 ** 30 ? 3 : 1)} GiB`;

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
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  const reserve = o.reserveBytes ?? DEFAULT_RESERVE_BYTES;
  const dir = dirname(o.dest);
  const ensureSpace = async (needed: number, wanted: number) => {
    const free = await (o.freeBytes ?? statfsFree)(dir);
    if (free < needed)
      throw new DownloadError(
        `not enough free space in ${dir}: ${gib(free)} free, ${wanted ? `the rest of the file needs ${gib(wanted)} plus ` : ''}${gib(reserve)} kept free for the server`,
        false,
        'no_space',
      );
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
      stall = o.clock.setTimeout(
        () => attempt.abort(new DownloadError(`no data for ${Math.round((o.stallMs ?? 60_000) / 1000)} s`, true)),
        o.stallMs ?? 60_000,
      );
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
      if (src.total !== undefined && src.total > maxBytes)
        throw new DownloadError(`the file is ${gib(src.total)}, above the cap of ${gib(maxBytes)} (server flag --max-model-bytes)`, false, 'too_large');
      // what is still to come must fit, with room to spare for the server's own files
      const need = (total: number) => total - done + reserve;
      if (src.total !== undefined) await ensureSpace(need(src.total), src.total - done);
      o.onProgress?.(done, src.total);
      const fh = await open(partial, done === 0 ? 'w' : 'a');
      let checkedAt = done;
      try {
        for await (const chunk of src.body) {
          arm();
          if (done + chunk.length > maxBytes)
            throw new DownloadError(`the file is larger than the cap of ${gib(maxBytes)} (server flag --max-model-bytes)`, false, 'too_large');
          if (src.total === undefined && done - checkedAt >= SPACE_CHECK_EVERY) {
            checkedAt = done;
            await ensureSpace(reserve, 0);
          }
          await fh.write(chunk);
          hash.update(chunk);
          done += chunk.length;
          o.onProgress?.(done, src.total);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC' || (e as NodeJS.ErrnoException).code === 'EDQUOT')
          throw new DownloadError(`the disk filled after ${done} bytes`, false, 'no_space');
        throw e;
      } finally {
        await fh.close();
      }
      if (src.total !== undefined && done < src.total) throw new DownloadError(`connection closed after ${done} of ${src.total} bytes`, true);
      if (src.total !== undefined && done > src.total) throw new DownloadError(`received ${done} bytes, more than the ${src.total} announced`, true, 'restart');
      break;
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason;
      const err =
        e instanceof DownloadError ? e : attempt.signal.reason instanceof DownloadError ? attempt.signal.reason : new DownloadError((e as Error).message, true);
      if (!err.retryable) {
        // a file too large, or a full disk: its partial bytes are only in the way
        if (err.reason === 'too_large' || err.reason === 'no_space') await rm(partial, { force: true });
        throw err;
      }
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
