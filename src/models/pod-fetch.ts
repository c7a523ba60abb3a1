/**
 * What a replica pod runs before its engine (an init container): fetches the deployment's model file from
 * its URL into the pod's model volume, resuming and checking the sha256 the model store recorded. A file
 * already there with the right hash (a container restart) is kept.
 *
 *   node dist/models/pod-fetch.js --url URL --out /models/FILE [--sha256 HEX] [--auth hf --token-secret NAME/KEY]
 *   node dist/models/pod-fetch.js --repo {endpoint}/ORG/REPO --revision SHA --out /models/DIR [--include GLOB]... [--auth hf ...]
 *
 * A repository goes into a directory that may be a node's cache, shared by every pod on the node: it is
 * fetched under a lock (DIR.lock, so two pods starting together fetch each file once), only the files that
 * are missing, and a manifest (DIR/.inferscale-complete) written at the end lets the next pod find it
 * complete without asking the Hub anything.
 *
 * With `--auth hf` the request carries `Authorization: Bearer $HF_TOKEN` when the pod has that variable
 * (from the zone's hfTokenSecret, named by --token-secret for the error message).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { systemClock, type Clock } from '../core/clock.js';
import { downloadFile } from './download.js';
import { withDirLock, type DirLockOptions } from './dir-lock.js';
import { httpOpener } from './fetch.js';
import { repoFileUrl, resolveRepo, type RepoFile } from './hub.js';
import { fetchRepository, isPresent, sha256Of } from './repo-fetch.js';
import { POD_MODEL_DIR, type PodModel } from '../domain/pod-model.js';

export { POD_MODEL_DIR, type PodModel };

/**
 * Downloads `url` to `out` unless a file with the expected hash is there; returns what happened. Under the
 * lock `out.lock`: a cache shared by the pods of a node has one writer of a file at a time.
 */
export async function fetchForPod(o: {
  url: string;
  out: string;
  sha256?: string;
  headers?: Record<string, string>;
  log: (line: string) => void;
  signal?: AbortSignal;
  clock?: Clock;
}): Promise<'kept' | 'fetched'> {
  mkdirSync(dirname(o.out), { recursive: true });
  const clock = o.clock ?? systemClock;
  const kept = async () => {
    if (!existsSync(o.out) || (o.sha256 && (await sha256Of(o.out)) !== o.sha256)) return false;
    o.log(`model file ${o.out} is already there${o.sha256 ? ' with the expected sha256' : ''}`);
    return true;
  };
  if (await kept()) return 'kept';
  return withDirLock(
    `${o.out}.lock`,
    `${hostname()} pid ${process.pid}`,
    { clock, signal: o.signal, onWait: (h) => o.log(`another pod on this node is fetching ${o.out} (lock ${h}): waiting`) },
    async () => {
      if (await kept()) return 'kept';
      let last = 0;
      const r = await downloadFile({
        dest: o.out,
        open: httpOpener(o.url, o.headers),
        clock,
        signal: o.signal ?? new AbortController().signal,
        expectedSha256: o.sha256,
        onProgress: (done, total) => {
          if (done - last < 256 << 20 && done !== total) return;
          last = done;
          o.log(`fetched ${(done / 2 ** 20).toFixed(0)} MiB${total ? ` of ${(total / 2 ** 20).toFixed(0)} MiB` : ''}`);
        },
      });
      o.log(`model file ${o.out}: ${r.size} bytes, sha256 ${r.sha256}`);
      return 'fetched' as const;
    },
  );
}

/** The manifest a complete repository directory holds: the files it was checked to have. */
export const COMPLETE_MARKER = '.inferscale-complete';

function completeIn(dir: string): RepoFile[] | undefined {
  try {
    const files = JSON.parse(readFileSync(join(dir, COMPLETE_MARKER), 'utf8')) as RepoFile[];
    return files.every((f) => isPresent(dir, f)) ? files : undefined;
  } catch {
    return undefined;
  }
}

export interface RepoForPodOptions {
  /** `{endpoint}/{ORG}/{REPO}` */
  repoUrl: string;
  revision: string;
  include: readonly string[];
  out: string;
  headers?: Record<string, string>;
  log: (line: string) => void;
  clock?: Clock;
  signal?: AbortSignal;
  lock?: Omit<DirLockOptions, 'clock' | 'signal' | 'onWait'>;
}

/** Fetches what is missing of a repository into `out` under the node-level lock; returns how many files it fetched. */
export async function fetchRepoForPod(o: RepoForPodOptions): Promise<{ fetchedFiles: number; files: number }> {
  const clock = o.clock ?? systemClock;
  const signal = o.signal ?? new AbortController().signal;
  const url = new URL(o.repoUrl);
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts.length < 2) throw new Error(`--repo ${o.repoUrl} is not {endpoint}/ORG/REPO`);
  const repo = parts.slice(-2).join('/');
  const endpoint = o.repoUrl.slice(0, o.repoUrl.length - repo.length - 1).replace(/\/+$/, '');
  mkdirSync(dirname(o.out), { recursive: true });
  const done = completeIn(o.out);
  if (done) {
    o.log(`repository ${repo}@${o.revision} is already in ${o.out} (${done.length} files)`);
    return { fetchedFiles: 0, files: done.length };
  }
  const owner = `${hostname()} pid ${process.pid} at ${new Date(clock.now()).toISOString()}`;
  return withDirLock(
    `${o.out}.lock`,
    owner,
    { ...o.lock, clock, signal, onWait: (h) => o.log(`another pod on this node is fetching ${repo} (lock ${h}): waiting`) },
    async () => {
      const again = completeIn(o.out);
      if (again) {
        o.log(`repository ${repo}@${o.revision} was fetched by another pod on this node (${again.length} files)`);
        return { fetchedFiles: 0, files: again.length };
      }
      const headers = o.headers ?? {};
      const r = await resolveRepo({ endpoint, repo, revision: o.revision, include: o.include, headers, signal });
      const total = r.files.reduce((n, f) => n + f.size, 0);
      o.log(`repository ${repo}@${r.sha}: ${r.files.length} files, ${(total / 2 ** 20).toFixed(1)} MiB`);
      let last = 0;
      const got = await fetchRepository({
        dir: o.out,
        files: r.files,
        clock,
        signal,
        open: (f) => httpOpener(repoFileUrl(o.repoUrl, r.sha, f.path), headers),
        onFile: (f, i) => o.log(`fetching ${f.path} (${i + 1}/${r.files.length}, ${f.size} bytes)`),
        onProgress: (d, t) => {
          if (d - last < 256 << 20 && d !== t) return;
          last = d;
          o.log(`fetched ${(d / 2 ** 20).toFixed(0)} MiB of ${(t / 2 ** 20).toFixed(0)} MiB`);
        },
      });
      await writeFile(join(o.out, COMPLETE_MARKER), JSON.stringify(got.files));
      o.log(`repository ${repo}@${r.sha} in ${o.out}: ${got.fetchedFiles} of ${got.files.length} files fetched now`);
      return { fetchedFiles: got.fetchedFiles, files: got.files.length };
    },
  );
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      repo: { type: 'string' },
      revision: { type: 'string' },
      include: { type: 'string', multiple: true },
      out: { type: 'string' },
      sha256: { type: 'string' },
      auth: { type: 'string' },
      'token-secret': { type: 'string' },
    },
  });
  const repoMode = values.repo !== undefined && values.revision !== undefined && values.url === undefined;
  if ((!values.url && !repoMode) || !values.out || (values.auth !== undefined && values.auth !== 'hf')) {
    console.error(
      'usage: pod-fetch --url URL --out PATH [--sha256 HEX] [--auth hf --token-secret NAME/KEY]\n       pod-fetch --repo ENDPOINT/ORG/REPO --revision SHA --out DIR [--include GLOB]... [--auth hf --token-secret NAME/KEY]',
    );
    process.exit(2);
  }
  const token = values.auth === 'hf' ? process.env.HF_TOKEN : undefined;
  if (values.auth === 'hf')
    console.log(
      token
        ? 'fetching with the Hugging Face token from $HF_TOKEN'
        : `no Hugging Face token (no Secret ${values['token-secret'] ?? 'hf-token/token'}): fetching without one`,
    );
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  const log = (l: string) => console.log(l);
  const work = repoMode
    ? fetchRepoForPod({ repoUrl: values.repo!, revision: values.revision!, include: values.include ?? [], out: values.out, headers, log })
    : fetchForPod({ url: values.url!, out: values.out, sha256: values.sha256, headers, log });
  work.then(
    () => process.exit(0),
    (e: Error) => {
      const denied =
        values.auth === 'hf' && (/HTTP 40[13]/.test(e.message) || (e as { details?: { reason?: string } }).details?.reason === 'hf_token_required');
      const [secret, key] = (values['token-secret'] ?? 'hf-token/token').split('/');
      const hint = denied
        ? `; a gated model needs a Hugging Face token in the pod: kubectl create secret generic ${secret} --from-literal=${key}=hf_... in the zone's namespace (the zone's hfTokenSecret), then delete this pod`
        : '';
      console.error(`cannot fetch the model from ${values.url ?? values.repo}: ${e.message}${hint}`);
      process.exit(1);
    },
  );
}
