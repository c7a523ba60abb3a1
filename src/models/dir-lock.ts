/**
 * A lock on a directory of a node's model cache, shared by pods that do not share a process or a PID
 * namespace: a lock file created exclusively (O_EXCL) beside the directory, its mtime refreshed while held.
 * A waiter polls; a lock file not refreshed for `staleMs` (its holder was killed) is taken over.
 */
import { open, rm, stat, utimes } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';

export interface DirLockOptions {
  clock: Clock;
  /** a held lock's mtime is refreshed this often (default 5 s) */
  heartbeatMs?: number;
  /** a lock older than this is abandoned (default 30 s) */
  staleMs?: number;
  /** how often a waiter looks again (default 500 ms) */
  pollMs?: number;
  signal?: AbortSignal;
  /** called once when the lock is found held by another */
  onWait?: (holder: string) => void;
}

async function tryCreate(path: string, owner: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx');
    await fh.writeFile(owner);
    await fh.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Runs `fn` holding the lock file `path`; the lock is released (the file removed) however `fn` ends. */
export async function withDirLock<T>(path: string, owner: string, o: DirLockOptions, fn: () => Promise<T>): Promise<T> {
  const staleMs = o.staleMs ?? 30_000;
  let waited = false;
  while (!(await tryCreate(path, owner))) {
    o.signal?.throwIfAborted();
    const st = await stat(path).catch(() => undefined);
    if (st && o.clock.now() - st.mtimeMs > staleMs) {
      await rm(path, { force: true });
      continue;
    }
    if (!waited) o.onWait?.(st ? `held since ${new Date(st.mtimeMs).toISOString()}` : 'just released');
    waited = true;
    await o.clock.sleep(o.pollMs ?? 500);
  }
  let beat: { cancel(): void } | undefined;
  const refresh = () => {
    beat = o.clock.setTimeout(() => {
      const t = new Date(o.clock.now());
      void utimes(path, t, t).catch(() => undefined);
      refresh();
    }, o.heartbeatMs ?? 5_000);
  };
  refresh();
  try {
    return await fn();
  } finally {
    beat?.cancel();
    await rm(path, { force: true });
  }
}
