/**
 * The fault suite's server: the real `inferscale server` as a child process on loopback, so it can be
 * SIGKILLed, restarted on the same port and data dir, and its memory read (VmRSS), apart from the test's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, waitFor } from '../test/harness.js';
import { freePort } from '../providers/local/ports.js';
import { processIdentity } from '../providers/local/identity.js';

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  token(): string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** the server's resident memory, bytes (Linux: /proc/PID/status VmRSS) */
  rss(): number;
  log(): string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** stops the server and every replica process of its data dir; removes the data dir */
  close(): Promise<void>;
}

export async function startServerProcess(o: { gpus?: number; args?: string[]; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'inferscale-fault-'));
  const port = await freePort('127.0.0.1');
  const logFile = join(dataDir, 'server.log');
  const url = `http://127.0.0.1:${port}`;
  const spawnServer = async () => {
    const out = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [CLI, 'server', '--port', String(port), '--data-dir', dataDir, '--virtual-gpus', String(o.gpus ?? 4), '--virtual-gpu-type', 'a5000', ...(o.args ?? [])],
      {
        stdio: ['ignore', out, out],
        env: { ...process.env, INFERSCALE_ZONES: '', ...o.env },
      },
    );
    closeSync(out);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
        return fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { timeoutMs: 30_000, what: 'the server process' },
    );
    return child;
  };
  const s: ServerProcess = {
    url,
    port,
    dataDir,
    child: await spawnServer(),
    token: () => readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    async api(method, path, body) {
      const r = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${s.token()}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    },
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    log: () => readFileSync(logFile, 'utf8'),
    async kill() {
      const exited = new Promise((r) => s.child.once('exit', r));
      s.child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      s.child = await spawnServer();
    },
    async close() {
      if (s.child.exitCode === null) {
        const exited = new Promise((r) => s.child.once('exit', r));
        s.child.kill('SIGTERM');
        await exited;
      }
      for (const p of processIdentity().replicasOf(dataDir)) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return s;
}
