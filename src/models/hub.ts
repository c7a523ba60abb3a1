/**
 * The Hugging Face Hub's own API, as `huggingface_hub` uses it: a revision resolved to its commit sha
 * (`GET {endpoint}/api/models/{repo}/revision/{rev}` -> `sha`, `siblings`), the file list with sizes and
 * LFS sha256 (`GET {endpoint}/api/models/{repo}/tree/{sha}?recursive=true`), the bytes from
 * `{endpoint}/{repo}/resolve/{sha}/{file}`. Errors are InferscaleErrors with a stable code and a
 * `details.reason` (hf_repo_not_found, hf_revision_not_found, hf_token_required, include_matches_nothing).
 */
import { InferscaleError, invalid } from '../core/errors.js';

/** One file of a stored repository: its path in the repository, size, and what its bytes must hash to. */
export interface RepoFile {
  path: string;
  size: number;
  /** lowercase hex sha256, from the Hub's LFS metadata (or computed when copied from a directory) */
  sha256?: string;
  /** git blob sha1 of a file kept in git itself (config, tokenizer): checked after the download */
  gitOid?: string;
}

export interface ResolvedRepo {
  repo: string;
  /** the commit sha the revision named when it was resolved */
  sha: string;
  files: RepoFile[];
  gated: boolean;
}

/** `{repoUrl}/resolve/{revision}/{file}`, where repoUrl is `{endpoint}/{ORG}/{REPO}`. */
export function repoFileUrl(repoUrl: string, revision: string, file: string): string {
  return `${repoUrl}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

export const hfResolveUrl = (endpoint: string, repo: string, revision: string, file: string): string => repoFileUrl(`${endpoint}/${repo}`, revision, file);

/** Glob as `huggingface_hub`'s allow_patterns reads it (fnmatch): `*` and `?` also match "/", `[...]` classes. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files the include globs keep (all when none); a glob that matches nothing is an error. */
export function selectFiles(files: readonly RepoFile[], include: readonly string[]): RepoFile[] {
  if (!include.length) return [...files];
  const res = include.map((g) => ({ g, re: globToRegExp(g) }));
  const idle = res.find(({ re }) => !files.some((f) => re.test(f.path)));
  if (idle)
    throw new InferscaleError(
      'invalid_argument',
      `include: "${idle.g}" matches no file of the repository (${files
        .slice(0, 6)
        .map((f) => f.path)
        .join(', ')}${files.length > 6 ? ', ...' : ''})`,
      { field: 'include', reason: 'include_matches_nothing' },
    );
  return files.filter((f) => res.some(({ re }) => re.test(f.path)));
}

async function getJson(
  url: string,
  repo: string,
  what: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ status: number; errorCode: string; body: unknown; next?: string }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal: signal ?? AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new InferscaleError('upstream_error', `cannot reach the Hub for hf:${repo} (${what}): ${String((e as Error).cause ?? (e as Error).message)}`, {
      reason: 'hf_unreachable',
    });
  }
  const errorCode = res.headers.get('x-error-code') ?? '';
  const body = res.ok ? await res.json().catch(() => undefined) : await res.body?.cancel();
  // the tree listing comes in pages: `Link: <URL>; rel="next"`
  const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  return { status: res.status, errorCode, body, next: next ? new URL(next, url).href : undefined };
}

function hubError(repo: string, revision: string, status: number, errorCode: string, hasToken: boolean): InferscaleError {
  if (errorCode === 'RevisionNotFound' || (status === 404 && errorCode === '' && revision !== 'main')) {
    return new InferscaleError('not_found', `hf:${repo} has no revision "${revision}" (a branch, a tag or a commit sha)`, {
      field: 'from',
      reason: 'hf_revision_not_found',
    });
  }
  if (errorCode === 'RepoNotFound' || status === 404 || (status === 401 && !hasToken)) {
    return new InferscaleError('not_found', `hf:${repo} not found on the Hub${hasToken ? '' : ' (a private repository needs --hf-token or HF_TOKEN)'}`, {
      field: 'from',
      reason: 'hf_repo_not_found',
    });
  }
  if (status === 401 || status === 403)
    return new InferscaleError('forbidden', `hf:${repo}: HTTP ${status}, the token does not give access`, { field: 'hfToken', reason: 'hf_token_required' });
  return new InferscaleError('upstream_error', `hf:${repo}: HTTP ${status} from the Hub`, { reason: 'hf_http' });
}

interface TreeEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown } | null;
}

/**
 * Resolves `revision` to its commit and lists its files (sizes, LFS sha256), then checks that `headers`
 * give access to the bytes (a gated repository lists its files to anyone but serves them only with a token).
 */
export async function resolveRepo(o: {
  endpoint: string;
  repo: string;
  revision: string;
  include: readonly string[];
  headers: Record<string, string>;
  signal?: AbortSignal;
}): Promise<ResolvedRepo> {
  const hasToken = 'authorization' in o.headers;
  const info = await getJson(`${o.endpoint}/api/models/${o.repo}/revision/${encodeURIComponent(o.revision)}`, o.repo, 'revision', o.headers, o.signal);
  if (info.status !== 200) throw hubError(o.repo, o.revision, info.status, info.errorCode, hasToken);
  const meta = (info.body ?? {}) as { sha?: unknown; gated?: unknown };
  if (typeof meta.sha !== 'string' || !/^[0-9a-f]{40}$/.test(meta.sha))
    throw new InferscaleError('upstream_error', `hf:${o.repo}: the Hub's revision answer has no commit sha`, { reason: 'hf_http' });
  const entries: TreeEntry[] = [];
  for (let url: string | undefined = `${o.endpoint}/api/models/${o.repo}/tree/${meta.sha}?recursive=true`, pages = 0; url; pages++) {
    if (pages >= 1000) throw new InferscaleError('upstream_error', `hf:${o.repo}: more than 1000 pages of files`, { reason: 'hf_http' });
    const page = await getJson(url, o.repo, 'file list', o.headers, o.signal);
    if (page.status !== 200 || !Array.isArray(page.body)) throw hubError(o.repo, meta.sha, page.status, page.errorCode, hasToken);
    entries.push(...(page.body as TreeEntry[]));
    url = page.next && new URL(page.next).origin === new URL(o.endpoint).origin ? page.next : undefined;
  }
  const all: RepoFile[] = [];
  for (const e of entries) {
    if (e.type !== 'file' || typeof e.path !== 'string' || typeof e.size !== 'number') continue;
    if (e.path.split('/').some((p) => p === '' || p === '.' || p === '..'))
      throw new InferscaleError('upstream_error', `hf:${o.repo}: unsafe path ${JSON.stringify(e.path)} in the file list`, { reason: 'hf_http' });
    const lfs = e.lfs && typeof e.lfs.oid === 'string' ? e.lfs.oid.toLowerCase() : undefined;
    all.push({
      path: e.path,
      size: lfs && typeof e.lfs?.size === 'number' ? e.lfs.size : e.size,
      ...(lfs ? { sha256: lfs } : typeof e.oid === 'string' ? { gitOid: e.oid } : {}),
    });
  }
  if (!all.length) throw invalid('from', `hf:${o.repo}@${o.revision} has no files`);
  const files = selectFiles(all, o.include);
  await probeAccess(hfResolveUrl(o.endpoint, o.repo, meta.sha, files[0].path), o.repo, o.revision, o.headers, hasToken);
  return { repo: o.repo, sha: meta.sha, files, gated: meta.gated !== undefined && meta.gated !== false };
}

/** A HEAD on one file, redirects not followed (the Hub answers a readable LFS file with a redirect to its CDN). */
async function probeAccess(url: string, repo: string, revision: string, headers: Record<string, string>, hasToken: boolean): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new InferscaleError('upstream_error', `cannot reach the Hub for hf:${repo}: ${String((e as Error).cause ?? (e as Error).message)}`, {
      reason: 'hf_unreachable',
    });
  }
  if (res.status < 400) return;
  if ((res.status === 401 || res.status === 403) && !hasToken) {
    throw new InferscaleError('forbidden', `hf:${repo} is gated: its files need a Hugging Face token with access (pass --hf-token or set HF_TOKEN)`, {
      field: 'hfToken',
      reason: 'hf_token_required',
    });
  }
  throw hubError(repo, revision, res.status, res.headers.get('x-error-code') ?? '', hasToken);
}
