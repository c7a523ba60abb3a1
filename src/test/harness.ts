/**
 * Integration-test helpers: a real server on a random port with a temp data dir, real replica
 * processes, the real CLI as a child process, and waiting on conditions instead of sleeping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type ServerOptions } from '../server/start-server.js';
import { freePort } from '../providers/local/ports.js';

export const CLI = fileURLToPath(new URL('../../bin/inferscale.js', import.meta.url));
const SIM_MAIN = fileURLToPath(new URL('../engines/sim/main.js', import.meta.url));

/** Fast engine-simulator params for tests: short startup, quick tokens. */
export const FAST_SIM = '--startup-seconds 0.2 --ttft-ms 5 --itl-ms 2';

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  url: string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }>;
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'inferscale-test-'));
  const logs: string[] = [];
  const make = (port = 0) => startServer({ port, virtualGpus: 8, virtualGpuType: 'a5000', tickMs: 100, log: (l) => logs.push(l), ...opts, dataDir });
  let server = await make();
  const t: TestServer = {
    server,
    dataDir,
    get url() {
      return server.url;
    },
    async api(method, path, body) {
      const send = () =>
        fetch(`${server.url}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // a kept-alive socket to a server that was restarted fails once ("other side closed"): send again
      const res = await send().catch(() => send());
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    cli(args) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], {
          env: { ...process.env, INFERSCALE_URL: server.url, INFERSCALE_DATA_DIR: dataDir, INFERSCALE_TOKEN: '' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    },
    /** Stops the server the way a SIGTERM would (replicas keep running) and starts a new one on the same port. */
    async restart() {
      const port = server.port;
      await server.close();
      server = await make(port);
      t.server = server;
    },
    async close() {
      for (const d of server.store.listDeployments()) {
        try {
          server.deployments.delete(d.name);
        } catch {
          /* already deleting */
        }
      }
      await waitFor(() => server.store.listLiveReplicas().length === 0, { timeoutMs: 20_000, what: 'replicas stopped' }).catch(() => undefined);
      await server.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Polls `cond` until it is truthy; fails with `what` after the timeout. */
export async function waitFor<T>(cond: () => T | Promise<T>, o: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One engine-simulator process on a free loopback port (e.g. the engine every fake Kubernetes pod reaches). */
export async function startSimEngine(o: { itlMs?: number } = {}): Promise<{ port: number; kill(): void }> {
  const port = await freePort('127.0.0.1');
  const child = spawn(
    process.execPath,
    [
      SIM_MAIN,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--model-name',
      'm',
      '--startup-seconds',
      '0',
      '--ttft-ms',
      '5',
      '--itl-ms',
      String(o.itlMs ?? 2),
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    { what: 'sim engine' },
  );
  return { port, kill: () => child.kill() };
}
