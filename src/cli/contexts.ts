/**
 * Named servers for the CLI, like kubectl's and exo's configs: `$XDG_CONFIG_HOME/inferscale/config.json`
 * (default `~/.config/inferscale/config.json`), written with mode 0600 since it holds tokens.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InferscaleError, invalid, notFound } from '../core/errors.js';

export interface CliContext {
  url: string;
  token?: string;
}

export interface CliConfig {
  currentContext: string | null;
  contexts: Record<string, CliContext>;
}

const EMPTY: CliConfig = { currentContext: null, contexts: {} };

export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'inferscale', 'config.json');
}

export function readConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY);
    throw e;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CliConfig>;
    return { currentContext: parsed.currentContext ?? null, contexts: parsed.contexts ?? {} };
  } catch (e) {
    throw new InferscaleError('invalid_argument', `${path}: not valid JSON (${(e as Error).message}); fix or delete it`);
  }
}

/** Writes the whole file (a temporary file renamed over it), readable by its owner only. */
export function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The config with `name` added or replaced; the first context added becomes the current one. */
export function addContext(config: CliConfig, name: string, context: CliContext): CliConfig {
  if (!NAME.test(name)) throw invalid('name', 'letters, digits, ".", "_" and "-", at most 63, starting with a letter or digit');
  let url: URL;
  try {
    url = new URL(context.url);
  } catch {
    throw invalid('url', `"${context.url}" is not a URL; write e.g. http://gpu-box:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url', 'must be http:// or https://');
  const entry: CliContext = { url: context.url.replace(/\/+$/, ''), ...(context.token ? { token: context.token } : {}) };
  return { currentContext: config.currentContext ?? name, contexts: { ...config.contexts, [name]: entry } };
}

export function useContext(config: CliConfig, name: string): CliConfig {
  if (!config.contexts[name]) throw notFound('context', name);
  return { ...config, currentContext: name };
}

/** The config without `name`; removing the current context leaves none current. */
export function removeContext(config: CliConfig, name: string): CliConfig {
  if (!config.contexts[name]) throw notFound('context', name);
  const { [name]: _, ...rest } = config.contexts;
  return { currentContext: config.currentContext === name ? null : config.currentContext, contexts: rest };
}
