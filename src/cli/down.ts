/**
 * `inferscale down`: drain and stop every replica a data dir runs on this machine. With the server
 * running (it holds the data dir's lock), it is asked through the API to stop, draining and stopping its
 * replicas first (it must stop too: running, it would start them again); with none running, the replica
 * rows of the data dir's store are stopped directly. Either way, a process is signalled only once the
 * local provider has shown it to be the replica (src/providers/local/identity.ts), and any process
 * started as a replica of this data dir that no row names is stopped as well. Deployments keep their
 * replica counts: the next `inferscale server` starts their replicas again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { parseDuration } from '../autoscaler/units.js';
import { systemClock } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { dataFiles, resolveDataDir } from '../config/paths.js';
import { LocalProvider } from '../providers/local/provider.js';
import { DataDirLock } from '../server/data-dir-lock.js';
import { stopLocalReplicas } from '../server/stop-replicas.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { cliIo } from './io.js';

export interface DownResult {
  /** the server that was running and was stopped (its pid), if one was */
  server?: number;
  replicas: number;
  orphans: number;
}

export function downCommand(): Command {
  return new Command('down')
    .description('drain and stop every replica of the data dir (and the server, if it runs: it would start them again)')
    .option('--data-dir <dir>', 'state directory (default $INFERSCALE_DATA_DIR or ~/.inferscale)')
    .option('--timeout <duration>', 'how long the server may take to stop, and the longest a replica is given to drain', '2m')
    .action(async (o) => {
      const say = (line: string) => void cliIo().stdout.write(`${line}\n`);
      const r = await down({ dataDir: resolveDataDir(o.dataDir), timeoutMs: parseDuration(o.timeout, '--timeout') }, say);
      const n = r.replicas + r.orphans;
      const what = `${n} replica process${n === 1 ? '' : 'es'} stopped${r.orphans ? ` (${r.orphans} found by their environment, not by a replica row)` : ''}`;
      say(r.server !== undefined ? `server (pid ${r.server}) stopped; ${what}` : what);
      if (r.server !== undefined || r.replicas) say('deployments keep their replica counts: "inferscale server" starts their replicas again');
    });
}

export async function down(o: { dataDir: string; timeoutMs: number }, say: (line: string) => void = () => undefined): Promise<DownResult> {
  const files = dataFiles(o.dataDir);
  if (!existsSync(files.db)) return { replicas: 0, orphans: 0 };
  let server: number | undefined;
  let lock = tryLock(o.dataDir);
  if (!(lock instanceof DataDirLock)) {
    server = lock.pid;
    say(`asking the server (pid ${lock.pid}) to drain and stop its replicas, then stop`);
    const viaServer = await stopThroughServer(o.dataDir, lock);
    const deadline = systemClock.now() + o.timeoutMs;
    for (;;) {
      lock = tryLock(o.dataDir);
      if (lock instanceof DataDirLock) break;
      if (systemClock.now() > deadline)
        throw new InferscaleError('conflict', `the server (pid ${lock.pid}) did not stop within ${o.timeoutMs / 1000}s; its log says why`);
      await systemClock.sleep(100);
    }
    // the server stopped them: what is left is what it could not (a replica it never recorded)
    const rest = await stopOffline(o.dataDir, lock, o.timeoutMs);
    return { server, replicas: viaServer + rest.replicas, orphans: rest.orphans };
  }
  return stopOffline(o.dataDir, lock, o.timeoutMs);
}

/** The data dir's lock, or who holds it (a running server: its pid, and its port once it listens). */
function tryLock(dataDir: string): DataDirLock | { pid: number; port: number | null } {
  try {
    return DataDirLock.acquire(dataDir);
  } catch (e) {
    const d = e instanceof InferscaleError ? (e.details as { pid?: number; port?: number | null }) : undefined;
    if (typeof d?.pid !== 'number') throw e;
    return { pid: d.pid, port: d.port ?? null };
  }
}

/** Asks the running server to stop with its replicas; returns how many replicas it had. */
async function stopThroughServer(dataDir: string, held: { pid: number; port: number | null }): Promise<number> {
  if (held.port === null) throw new InferscaleError('conflict', `the server (pid ${held.pid}) is still starting: run "inferscale down" again once it listens`);
  const base = serverUrl(dataDir, held.port);
  const token = readFileSync(dataFiles(dataDir).adminToken, 'utf8').trim();
  const call = (method: string, path: string, body: unknown) =>
    fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch((e) => {
      throw new InferscaleError('conflict', `cannot reach the server (pid ${held.pid}) at ${base}: ${(e as Error).message}`);
    });
  const res = await call('POST', '/server/shutdown', { replicas: 'stop' });
  const b = (await res.json().catch(() => ({}))) as { localReplicas?: number; error?: { code?: string; message?: string } };
  if (res.status !== 202)
    throw new InferscaleError('conflict', `the server refused to stop: ${b.error?.message ?? `HTTP ${res.status}`}`, { code: b.error?.code });
  return b.localReplicas ?? 0;
}

/** Where the lock holder listens, as this machine reaches it (a wildcard address: loopback). */
function serverUrl(dataDir: string, port: number): string {
  try {
    const url = new URL((JSON.parse(readFileSync(`${dataDir}/server.lock`, 'utf8')) as { url?: string }).url ?? '');
    if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
    return url.origin;
  } catch {
    return `http://127.0.0.1:${port}`;
  }
}

/** No server runs (this process holds the lock): the store's replica rows are stopped directly. */
async function stopOffline(dataDir: string, lock: DataDirLock, maxGraceMs: number): Promise<DownResult> {
  const files = dataFiles(dataDir);
  const store = new Store(openDb(files.db, SCHEMA));
  const provider = new LocalProvider({ clock: systemClock, logDir: files.logs, owner: resolve(dataDir) });
  try {
    return await stopLocalReplicas(store, provider, { maxGraceMs, now: () => systemClock.now(), why: 'inferscale down' });
  } finally {
    provider.close();
    store.db.close();
    lock.release();
  }
}
