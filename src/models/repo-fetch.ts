/**
 * A repository fetched file by file into a directory: each file through downloadFile (resumable, renamed
 * into place only once whole and checked), so a file present at its path with its size is complete and is
 * not fetched again ("only what is missing"). LFS files are checked against their sha256, files kept in git
 * against their git blob sha1; a mismatch discards the file and fails.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Clock } from '../core/clock.js';
import { downloadFile, type DownloadOptions } from './download.js';
import { DownloadError, type SourceOpener } from './fetch.js';
import type { RepoFile } from './hub.js';

export interface RepoFetchOptions {
  dir: string;
  files: readonly RepoFile[];
  open: (f: RepoFile) => SourceOpener;
  clock: Clock;
  signal: AbortSignal;
  /** bytes of the repository present so far, of its total */
  onProgress?: (done: number, total: number) => void;
  /** a file started (its index), for plain-line logs */
  onFile?: (f: RepoFile, i: number) => void;
  download?: Pick<DownloadOptions, 'maxAttempts' | 'backoffMs' | 'stallMs' | 'freeBytes' | 'reserveBytes' | 'maxBytes'>;
}

export interface RepoFetched {
  /** the files with the sha256 each was checked against or found to have */
  files: RepoFile[];
  size: number;
  /** files fetched now (not already there) */
  fetchedFiles: number;
}

/** A stored file: complete when it is at its path with its size and no partial file beside it. */
export function isPresent(dir: string, f: RepoFile): boolean {
  const p = join(dir, f.path);
  try {
    return statSync(p).size === f.size && !existsSync(`${p}.partial`);
  } catch {
    return false;
  }
}

async function gitBlobSha1(path: string, size: number): Promise<string> {
  const h = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function fetchRepository(o: RepoFetchOptions): Promise<RepoFetched> {
  const total = o.files.reduce((s, f) => s + f.size, 0);
  let before = 0;
  let fetchedFiles = 0;
  const out: RepoFile[] = [];
  for (const [i, f] of o.files.entries()) {
    o.signal.throwIfAborted();
    const dest = join(o.dir, f.path);
    if (!dest.startsWith(o.dir + sep)) throw new DownloadError(`unsafe path ${f.path}`, false, 'io');
    if (isPresent(o.dir, f)) {
      out.push(f.sha256 || f.gitOid ? f : { ...f, sha256: await sha256Of(dest) });
      before += f.size;
      o.onProgress?.(before, total);
      continue;
    }
    o.onFile?.(f, i);
    await mkdir(dirname(dest), { recursive: true });
    const base = before;
    const r = await downloadFile({
      dest,
      open: o.open(f),
      clock: o.clock,
      signal: o.signal,
      expectedSha256: f.sha256,
      onProgress: (d) => o.onProgress?.(base + d, total),
      ...o.download,
    });
    if (f.gitOid && (await gitBlobSha1(dest, r.size)) !== f.gitOid) {
      await rm(dest, { force: true });
      throw new DownloadError(`${f.path}: checksum mismatch: expected git blob ${f.gitOid}`, false, 'checksum');
    }
    if (r.size !== f.size) {
      await rm(dest, { force: true });
      throw new DownloadError(`${f.path}: ${r.size} bytes, the file list says ${f.size}`, false, 'checksum');
    }
    out.push({ ...f, sha256: r.sha256 });
    fetchedFiles++;
    before += r.size;
  }
  return { files: out, size: total, fetchedFiles };
}

/** The regular files under a local directory (a repository to copy), sorted, hidden ones (.git, .cache) left out. */
export async function listLocalRepo(root: string): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push({ path: relative(root, p).split(sep).join('/'), size: (await stat(p)).size });
    }
  };
  await walk(root);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
