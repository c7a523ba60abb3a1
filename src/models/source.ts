/**
 * Where a model comes from: `--from PATH|URL|hf:ORG/REPO[/FILE]`. Pure parsing; the only I/O is the
 * Hugging Face listing used when `hf:ORG/REPO` names no file (see resolveHfFile in fetch.ts).
 */
import { basename, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalid } from '../core/errors.js';

export type SourceKind = 'file' | 'url' | 'hf';

export interface ModelSource {
  kind: SourceKind;
  /** what the user gave (a relative path already made absolute by the CLI) */
  given: string;
  /** absolute file path (file) or the URL to fetch (url, hf) */
  location: string;
  /** name of the stored file, e.g. "stories260K.gguf" */
  fileName: string;
  /** hf only: ORG/REPO and FILE (FILE empty when the repo's single GGUF file is to be found) */
  repo?: string;
  file?: string;
}

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** INFERSCALE_HF_ENDPOINT (tests point it at a local server), else huggingface.co. */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.INFERSCALE_HF_ENDPOINT || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
}

export function hfFileUrl(endpoint: string, repo: string, file: string): string {
  return `${endpoint}/${repo}/resolve/main/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** A file name safe to store: the last path segment, odd characters replaced by "_". */
export function safeFileName(raw: string): string {
  const name = basename(raw).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return name === '' || name.endsWith('.partial') ? `${name || 'model'}.bin` : name;
}

const HF_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses `--from`. A path must be absolute here (the CLI resolves relative ones against its working
 * directory, since the server reads the file). Throws invalid_argument (field "from").
 */
export function parseSource(from: string, env: NodeJS.ProcessEnv = process.env): ModelSource {
  const given = from.trim();
  if (given === '') throw invalid('from', 'is required: a file path, an http(s) URL or hf:ORG/REPO[/FILE]');
  if (given.startsWith('hf:')) {
    const parts = given.slice(3).replace(/^\/+/, '').split('/');
    if (parts.length < 2 || !parts.every((p) => HF_PART.test(p)) || parts.includes('..')) {
      throw invalid('from', `"${given}" is not hf:ORG/REPO or hf:ORG/REPO/FILE (e.g. hf:ggml-org/models/tinyllamas/stories260K.gguf)`);
    }
    const repo = `${parts[0]}/${parts[1]}`;
    const file = parts.slice(2).join('/');
    const location = file ? hfFileUrl(hfEndpoint(env), repo, file) : `${hfEndpoint(env)}/api/models/${repo}`;
    return { kind: 'hf', given, location, fileName: file ? safeFileName(file) : '', repo, file };
  }
  if (/^https?:\/\//i.test(given)) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw invalid('from', `"${given}" is not a valid URL`);
    }
    const last = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
    return { kind: 'url', given, location: url.href, fileName: safeFileName(last || 'model.bin') };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given) && !given.startsWith('file://')) {
    throw invalid('from', `unsupported scheme in "${given}" (use a file path, http(s):// or hf:)`);
  }
  const path = given.startsWith('file://') ? fileURLToPath(given) : given;
  if (!isAbsolute(path)) throw invalid('from', `"${given}" must be an absolute path (the CLI makes relative paths absolute)`);
  return { kind: 'file', given: path, location: path, fileName: safeFileName(path) };
}

/** Model names: 1-64 of a-z 0-9 . _ -, starting and ending with a letter or digit. */
export const MODEL_NAME_RE = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

export function validateModelName(name: unknown): string {
  if (typeof name !== 'string' || !MODEL_NAME_RE.test(name) || name.includes('..')) {
    throw invalid('name', 'must be 1-64 of a-z 0-9 . _ -, starting and ending with a letter or digit (e.g. stories260k, llama-3.2-1b-q4)');
  }
  return name;
}
