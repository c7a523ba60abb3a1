import { readFileSync } from 'node:fs';
import { dataFiles, resolveDataDir } from '../config/paths.js';
import { notFound } from '../core/errors.js';
import { configPath, readConfig } from './contexts.js';
import { cliIo } from './io.js';

/** Raised for an API error: carries the server's stable code; the CLI prints the message and exits with its code (exit-codes.ts). */
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
  /** the context the URL came from, if any (named in errors) */
  context?: string;
}

/**
 * Which server and token, first match wins: `--context NAME` (its URL, its token else INFERSCALE_TOKEN);
 * INFERSCALE_URL (with INFERSCALE_TOKEN, else the token file in the data dir; contexts are then not read); the
 * current context of the config file (its token, unless INFERSCALE_TOKEN is set); http://127.0.0.1:8080 with
 * INFERSCALE_TOKEN or the data dir's token file.
 */
export function clientConfig(env: NodeJS.ProcessEnv = cliIo().env, chosen: string | undefined = cliIo().context): ClientConfig {
  if (chosen !== undefined) {
    const named = readConfig(configPath(env)).contexts[chosen];
    if (!named) throw notFound('context', chosen);
    return { url: named.url.replace(/\/+$/, ''), token: named.token || env.INFERSCALE_TOKEN, context: chosen };
  }
  if (!env.INFERSCALE_URL) {
    const config = readConfig(configPath(env));
    const current = config.currentContext ? config.contexts[config.currentContext] : undefined;
    if (current) return { url: current.url.replace(/\/+$/, ''), token: env.INFERSCALE_TOKEN || current.token, context: config.currentContext ?? undefined };
  }
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
        `cannot reach the inferscale server at ${this.cfg.url}${this.cfg.context ? ` (context ${this.cfg.context})` : ''} (${(e as Error).cause ?? (e as Error).message}); start it with "inferscale server" or set INFERSCALE_URL`,
      );
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : {};
    if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `HTTP ${res.status}`);
    return data as T;
  }
}
