/**
 * For tests: the CLI run in process (`runCli`, its output captured) against the REST API served in the same
 * process on a loopback port (src/api/testkit.ts: a real service on an in-memory store).
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { ADMIN_TOKEN, apiUnderTest, type ApiUnderTestOptions } from '../api/testkit.js';
import { runCli } from './program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cliUnderTest(o: ApiUnderTestOptions = {}) {
  const api = apiUnderTest(o);
  const server = createAdaptorServer({ fetch: api.app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /**
   * `inferscale ...args` with the given token (default the admin token) and server URL; `env` adds to (or,
   * with undefined values, removes from) the environment; `tty`: stderr is a terminal; `onStdout` sees the output so far at each write.
   */
  async function cli(
    args: string[],
    o: { token?: string; url?: string; env?: Record<string, string | undefined>; tty?: boolean; onStdout?: (s: string) => void } = {},
  ): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const env: NodeJS.ProcessEnv = { INFERSCALE_URL: o.url ?? url, INFERSCALE_TOKEN: o.token ?? ADMIN_TOKEN, ...o.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const io = {
      stdout: {
        write: (s: string) => {
          stdout += s;
          o.onStdout?.(stdout);
        },
      },
      stderr: { write: (s: string) => (stderr += s), isTTY: o.tty },
      env,
    };
    const code = (await runCli(['node', 'inferscale', ...args], io)) ?? 0;
    return { code, stdout, stderr };
  }
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { ...api, url, cli, close };
}
