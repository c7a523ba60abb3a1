import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferscaleError } from '../core/errors.js';
import { processIdentity, type ProcessIdentity } from '../providers/local/identity.js';

/**
 * One server per data dir: two would both reconcile the same replica rows, hand out the same GPUs and
 * write the same SQLite file. The lock is a file (`server.lock`) naming the holder's pid, its process start
 * and, once it listens, its URL. A lock whose process is gone (or whose pid now belongs to another
 * program, told by its start) is stale and taken over. Files are created with link(2), which fails when the
 * name exists, so two servers starting at once cannot both win.
 */
export interface LockHolder {
  pid: number;
  /** the holder's process start (identity.ts), so a reused pid is not taken for the holder */
  start: string | null;
  url?: string;
  port?: number;
}

export class DataDirLock {
  private constructor(
    private readonly path: string,
    private holder: LockHolder,
  ) {}

  static acquire(dataDir: string, o: { identity?: ProcessIdentity; pid?: number; log?: (line: string) => void } = {}): DataDirLock {
    const identity = o.identity ?? processIdentity();
    const pid = o.pid ?? process.pid;
    const path = join(dataDir, 'server.lock');
    const me: LockHolder = { pid, start: identity.startOf(pid) ?? null };
    for (let attempt = 0; attempt < 5; attempt++) {
      const tmp = `${path}.${pid}.${attempt}`;
      writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
      try {
        linkSync(tmp, path);
        return new DataDirLock(path, me);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        unlinkSync(tmp);
      }
      const held = readHolder(path);
      if (held && isLive(held, identity)) {
        throw new InferscaleError(
          'conflict',
          `data dir ${dataDir} is in use by another inferscale server: pid ${held.pid}${held.port !== undefined ? `, port ${held.port} (${held.url})` : ', still starting'}. Stop it first, or give this one another --data-dir.`,
          { pid: held.pid, port: held.port ?? null },
        );
      }
      // stale: moved aside (one of two servers taking it over at once wins; the other reads the winner's)
      try {
        renameSync(path, `${path}.stale`);
        o.log?.(`data dir lock: taking over the stale lock of pid ${held?.pid ?? '?'} (no longer running)`);
      } catch {
        /* another server moved it first */
      }
    }
    throw new InferscaleError('conflict', `data dir ${dataDir}: could not take its lock (${path})`);
  }

  /** Records where the holder listens, for the message a second server prints. */
  listening(url: string, port: number): void {
    this.holder = { ...this.holder, url, port };
    // whole or not at all: a reader never sees a half-written lock (which it would take for stale)
    const tmp = `${this.path}.${this.holder.pid}.url`;
    writeFileSync(tmp, `${JSON.stringify(this.holder)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  /** Removes the lock if it is still this server's. */
  release(): void {
    const held = readHolder(this.path);
    if (held?.pid === this.holder.pid && held.start === this.holder.start) {
      try {
        unlinkSync(this.path);
      } catch {
        /* gone already */
      }
    }
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof v?.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function isLive(h: LockHolder, identity: ProcessIdentity): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // the pid is taken: by the holder only if its start is the recorded one (when both are known)
  const now = identity.startOf(h.pid);
  return !h.start || !now || now === h.start;
}
