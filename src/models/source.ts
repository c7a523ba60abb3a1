/**
 * Where a model comes from: `--from PATH|URL|hf:ORG/REPO[@REVISION][/FILE]`. Pure parsing: `hf:ORG/REPO`
 * without a file is a whole repository (resolved through the Hub's API by hub.ts); a PATH that is a
 * directory is one too (the service finds that out).
 */
import { basename, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalid } from '../core/errors.js';
import { hfResolveUrl } from './hub.js';

/** The directory a stored repository's files are kept in, under the model's own directory. */
export const REPO_DIR = 'repo';

/** `dir`: a local directory copied as a repository; `hf` with no `file`: a Hub repository */
export type SourceKind = 'file' | 'url' | 'hf' | 'dir';

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
  /** hf only: the branch, tag or commit after "@" (default main) */
  revision?: string;
}

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** INFERSCALE_HF_ENDPOINT, else HF_ENDPOINT (a mirror, as huggingface_hub reads it), else huggingface.co. */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.INFERSCALE_HF_ENDPOINT || env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
}

/** A file name safe to store: the last path segment, odd characters replaced by "_". */
export function safeFileName(raw: string): string {
  const name = basename(raw)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '');
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
    const [name, revision, extra] = (parts[1] ?? '').split('@');
    if (
      parts.length < 2 ||
      extra !== undefined ||
      (revision !== undefined && !HF_PART.test(revision)) ||
      !HF_PART.test(name) ||
      ![parts[0], ...parts.slice(2)].every((p) => HF_PART.test(p)) ||
      parts.includes('..')
    ) {
      throw invalid(
        'from',
        `"${given}" is not hf:ORG/REPO[@REVISION] or hf:ORG/REPO[@REVISION]/FILE (e.g. hf:Qwen/Qwen2.5-0.5B-Instruct@main, hf:ggml-org/models/tinyllamas/stories260K.gguf)`,
      );
    }
    const repo = `${parts[0]}/${name}`;
    const file = parts.slice(2).join('/');
    const rev = revision ?? 'main';
    const location = file ? hfResolveUrl(hfEndpoint(env), repo, rev, file) : `${hfEndpoint(env)}/${repo}`;
    return { kind: 'hf', given, location, fileName: file ? safeFileName(file) : REPO_DIR, repo, file, revision: rev };
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
