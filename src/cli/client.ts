import { readFileSync } from 'node:fs';
import { dataFiles, resolveDataDir } from '../config/paths.js';
import { cliIo } from './io.js';

/** Raised for an API error: carries the server's stable code; the CLI prints the message and exits 1. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientConfig {
  url: string;
  token: string | undefined;
}

/** INFERSCALE_URL (default http://127.0.0.1:8080) and INFERSCALE_TOKEN, else the token file in the data dir. */
export function clientConfig(env: NodeJS.ProcessEnv = cliIo().env): ClientConfig {
  const url = (env.INFERSCALE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  let token = env.INFERSCALE_TOKEN;
  if (!token) {
    try {
      token = readFileSync(dataFiles(resolveDataDir(undefined, env)).adminToken, 'utf8').trim();
    } catch {
      token = undefined;
    }
  }
  return { url, token };
}

export class ApiClient {
  constructor(private readonly cfg: ClientConfig) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.cfg.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.cfg.token ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new ApiError(
        0,
        'unreachable',
        `cannot reach the inferscale server at ${this.cfg.url} (${(e as Error).cause ?? (e as Error).message}); start it with "inferscale server" or set INFERSCALE_URL`,
      );
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : {};
    if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `HTTP ${res.status}`);
    return data as T;
  }
}
