/**
 * The model store: models fetched once into `<dataDir>/models/<name>/<file>` and shared by every replica
 * of every deployment that names them. Downloads run in the background (state "downloading" with
 * progress), end "ready" (size, sha256) or "error", and resume when the server starts again.
 */
import { mkdirSync, existsSync, statSync } from 'node:fs';
import { realpath, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { InferscaleError, invalid, notFound } from '../core/errors.js';
import { parseInput } from '../domain/validation.js';
import type { Db } from '../store/db.js';
import { downloadFile } from './download.js';
import { fileOpener, httpOpener, type SourceOpener } from './fetch.js';
import { repoFileUrl, resolveRepo, selectFiles, type RepoFile } from './hub.js';
import { ModelStore, repoFiles, type ModelRow } from './model-store.js';
import { fetchRepository, listLocalRepo } from './repo-fetch.js';
import { hfEndpoint, parseSource, REPO_DIR, safeFileName, validateModelName, type ModelSource } from './source.js';
import { modelView, type ModelView } from './view.js';
import { isStorageFull } from '../store/storage-status.js';
import type { PodModel } from './pod-fetch.js';

/** A model as the cluster's catalog keeps it (HA): enough for pods to fetch it and for a new leader to list it. */
export interface SharedModel {
  name: string;
  source: string;
  kind: ModelRow['kind'];
  location: string;
  fileName: string;
  /** a single file's sha256; empty for a repository, which is pinned by `repo` instead */
  sha256: string;
  /** a Hub repository: its commit, files and include globs */
  repo?: { revision: string; files: RepoFile[]; include: string[] };
}

const ADOPTED = 'taken over from the cluster: pods fetch it from its URL; fetching a copy for this server';

/** The little the model store needs to know about deployments. */
export interface ModelUser {
  name: string;
  modelName: string;
  engine: string;
  deleting: boolean;
}

export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

export interface ModelServiceOptions {
  db: Db;
  clock: Clock;
  dataDir: string;
  deployments: () => readonly ModelUser[];
  keys?: Sealer;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** download tuning, for tests */
  download?: { maxAttempts?: number; backoffMs?: number; stallMs?: number; freeBytes?: (dir: string) => Promise<number>; reserveBytes?: number };
  /** the largest model file downloaded or copied (default DEFAULT_MAX_MODEL_BYTES, 256 GiB) */
  maxModelBytes?: number;
  /** take sources on link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10, ...): default refused */
  allowPrivateSources?: boolean;
}

export const createSchema = z.strictObject({
  name: z.string(),
  from: z.string().min(1, 'is required: a file path, an http(s) URL or hf:ORG/REPO[/FILE]').max(4096),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
    .optional(),
  hfToken: z.string().max(1024).optional(),
  /** repositories: keep only the files these globs match (fnmatch, as huggingface_hub's allow_patterns) */
  include: z.array(z.string().min(1).max(256)).max(64).optional(),
});

/** Engines that can only serve a model file from the store. */
const NEEDS_STORED_MODEL = new Set(['llamacpp']);

export class ModelService {
  readonly store: ModelStore;
  private readonly jobs = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly o: ModelServiceOptions) {
    this.store = new ModelStore(o.db);
    this.env = o.env ?? process.env;
  }

  get modelsDir(): string {
    return join(this.o.dataDir, 'models');
  }

  pathOf(m: Pick<ModelRow, 'name' | 'fileName'>): string {
    return join(this.modelsDir, m.name, m.fileName);
  }

  usedBy(name: string): string[] {
    return this.o
      .deployments()
      .filter((d) => !d.deleting && d.modelName === name)
      .map((d) => d.name)
      .sort();
  }

  view(name: string): ModelView {
    const m = this.store.get(name);
    if (!m) throw notFound('model', name);
    return modelView(m, this.pathOf(m), this.usedBy(name));
  }

  list(): ModelView[] {
    const users = this.o.deployments().filter((d) => !d.deleting);
    return this.store.list().map((m) =>
      modelView(
        m,
        this.pathOf(m),
        users
          .filter((d) => d.modelName === m.name)
          .map((d) => d.name)
          .sort(),
      ),
    );
  }

  async create(input: unknown): Promise<ModelView> {
    const c = parseInput(createSchema, input);
    const name = validateModelName(c.name);
    if (this.store.get(name))
      throw new InferscaleError('already_exists', `model "${name}" already exists (delete it first to fetch it again)`, { field: 'name' });
    const src = parseSource(c.from, this.env);
    if (src.kind === 'file' && !existsSync(src.location))
      throw new InferscaleError('invalid_argument', `from: no file ${src.location} on the server machine`, { field: 'from' });
    if (src.kind === 'file' && statSync(src.location).isDirectory()) Object.assign(src, { kind: 'dir', fileName: REPO_DIR });
    await this.checkSourceAllowed(src);
    const token = c.hfToken || undefined;
    const include = c.include ?? [];
    const repo = await this.listRepository(src, include, token);
    if (this.store.get(name)) throw new InferscaleError('already_exists', `model "${name}" already exists`, { field: 'name' });
    const now = this.o.clock.now();
    const row: ModelRow = {
      name,
      source: src.given,
      kind: src.kind,
      location: src.location,
      fileName: src.fileName,
      state: 'downloading',
      stateDetails: src.kind === 'file' || src.kind === 'dir' ? 'copying into the model store' : 'starting download',
      bytesDone: 0,
      bytesTotal: repo ? repo.files.reduce((n, f) => n + f.size, 0) : null,
      sha256: null,
      expectedSha256: c.sha256?.toLowerCase() ?? null,
      tokenSealed: token && this.o.keys ? this.o.keys.seal(token) : null,
      revision: repo?.revision ?? null,
      filesJson: repo ? JSON.stringify(repo.files) : null,
      includeJson: include.length ? JSON.stringify(include) : null,
      createdAt: now,
      updatedAt: now,
    };
    this.store.insert(row);
    this.start(name, token);
    return this.view(name);
  }

  /**
   * A repository's files, listed before anything is stored (a bad revision, an include that matches nothing,
   * a gated repository without a token fail here and leave nothing behind); undefined for a single file.
   */
  private async listRepository(
    src: ModelSource,
    include: string[],
    token: string | undefined,
  ): Promise<{ revision: string | null; files: RepoFile[] } | undefined> {
    if (src.kind === 'hf' && !src.file) {
      const r = await resolveRepo({
        endpoint: hfEndpoint(this.env),
        repo: src.repo!,
        revision: src.revision ?? 'main',
        include,
        headers: this.authHeaders('hf', token ?? this.env.HF_TOKEN),
      });
      return { revision: r.sha, files: r.files };
    }
    if (src.kind === 'dir') {
      const files = selectFiles(await listLocalRepo(src.location), include);
      if (!files.length) throw invalid('from', `${src.location} holds no files`);
      return { revision: null, files };
    }
    if (include.length) throw invalid('include', 'is for repositories only (hf:ORG/REPO or a directory), not a single file');
    return undefined;
  }

  /**
   * A model source may not be the server's own files (its data dir holds the database, the admin token and
   * the key that seals API keys), nor, unless `allowPrivateSources`, a link-local or cloud-metadata address
   * (where instance credentials are served): checked on the name as given and on every address it resolves to.
   */
  private async checkSourceAllowed(src: { kind: string; location: string }): Promise<void> {
    if (src.kind === 'file' || src.kind === 'dir') {
      const real = await realpath(src.location).catch(() => src.location);
      const data = await realpath(this.o.dataDir).catch(() => this.o.dataDir);
      if (real === data || real.startsWith(data + sep)) throw invalid('from', `${src.location} is in the server's data dir; copy the model elsewhere first`);
      return;
    }
    if (this.o.allowPrivateSources) return;
    const host = new URL(src.location).hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host)
      ? [host]
      : await lookup(host, { all: true }).then(
          (a) => a.map((x) => x.address),
          () => [] as string[],
        );
    const bad = [host, ...addresses].find(isMetadataAddress);
    if (bad) throw invalid('from', `${host} is a link-local or cloud-metadata address (${bad}); start the server with --allow-private-sources to allow it`);
  }

  async delete(name: string): Promise<void> {
    const m = this.store.get(name);
    if (!m) throw notFound('model', name);
    const users = this.usedBy(name);
    if (users.length) {
      throw new InferscaleError(
        'model_in_use',
        `model "${name}" is used by deployment${users.length > 1 ? 's' : ''} ${users.join(', ')}; delete ${users.length > 1 ? 'them' : 'it'} or change their model first`,
        { name, deployments: users },
      );
    }
    const job = this.jobs.get(name);
    job?.abort.abort(new Error('model deleted'));
    await job?.done;
    this.store.delete(name);
    await rm(join(this.modelsDir, name), { recursive: true, force: true });
    this.o.log?.(`model ${name} deleted`);
  }

  /** Restarts downloads left "downloading" by an earlier server process (they resume from the partial file). */
  resumeInterrupted(): void {
    for (const m of this.store.list()) {
      if (m.state !== 'downloading' || this.jobs.has(m.name)) continue;
      this.o.log?.(`model ${m.name}: resuming download of ${m.source}`);
      this.start(m.name, m.tokenSealed && this.o.keys ? this.tryOpen(m.tokenSealed) : undefined);
    }
  }

  /** Refuses a deployment whose model cannot be served by `engine` now (throws invalid_argument / conflict). */
  assertUsable(engine: string, modelName: string): void {
    if (engine === 'sim') return;
    const m = this.store.get(modelName);
    if (!m) {
      if (!NEEDS_STORED_MODEL.has(engine)) return;
      throw new InferscaleError(
        'invalid_argument',
        `modelName: no model "${modelName}" in the model store; the ${engine} engine serves stored models: add it with "inferscale model create ${modelName} --from PATH|URL|hf:ORG/REPO/FILE"`,
        { field: 'modelName' },
      );
    }
    if (m.state === 'downloading')
      throw new InferscaleError(
        'conflict',
        `modelName: model "${modelName}" is still downloading (${this.view(modelName).progressText}); wait with "inferscale model show ${modelName}"`,
        { field: 'modelName', state: m.state },
      );
    if (m.state === 'error')
      throw new InferscaleError('conflict', `modelName: model "${modelName}" failed to download (${m.stateDetails}); delete and create it again`, {
        field: 'modelName',
        state: m.state,
      });
  }

  /**
   * The stored file or repository directory a replica should load (`{model}`), undefined for engines that take
   * a model name; throws when unusable. llamacpp loads a file: from a repository, its GGUF (the first part of
   * a split GGUF; llama.cpp finds the others beside it).
   */
  launchPath(engine: string, modelName: string): string | undefined {
    if (engine === 'sim') return undefined;
    this.assertUsable(engine, modelName);
    const m = this.store.get(modelName);
    if (!m) return undefined;
    const path = this.pathOf(m);
    if (!existsSync(path))
      throw new InferscaleError('not_found', `model "${modelName}" is marked ready but ${path} is missing; delete and create the model again`);
    const files = repoFiles(m);
    return files && NEEDS_STORED_MODEL.has(engine) ? join(path, ...ggufEntry(modelName, files).split('/')) : path;
  }

  /**
   * The model a replica pod fetches itself (Kubernetes zones have no local model store), undefined for
   * engines that take a model name. Only models created from a URL or the Hub can be fetched by pods; for hf:
   * models the pod uses the token in its zone's hfTokenSecret, if the namespace has it (this server keeps a
   * --hf-token only while its own download runs). A Hub repository is fetched at its pinned commit into a
   * directory named for the repository and the commit, so a node cache shares it between models and pods.
   */
  podModel(engine: string, modelName: string): PodModel | undefined {
    if (engine === 'sim') return undefined;
    const m = this.store.get(modelName);
    if (m?.kind === 'file' || m?.kind === 'dir') {
      throw new InferscaleError(
        'invalid_argument',
        `modelName: model "${modelName}" was created from a local ${m.kind === 'dir' ? 'directory' : 'file'} (${m.source}), which pods in a Kubernetes zone cannot reach; create it --from a URL or hf:ORG/REPO`,
        { field: 'modelName' },
      );
    }
    // known by its URL and hash, or a repository by its commit (e.g. taken over from the cluster): pods can
    // fetch it while this server still does
    const auth = m?.kind === 'hf' ? { auth: 'hf' as const } : {};
    const files = m && repoFiles(m);
    const pinned = m?.state === 'downloading' && (m.expectedSha256 || (files && m.revision));
    if (m && pinned && !files) return { url: m.location, fileName: m.fileName, sha256: m.expectedSha256, ...auth };
    if (!pinned) this.assertUsable(engine, modelName);
    if (!m) return undefined;
    if (files && m.revision) {
      const [org, repo] = new URL(m.location).pathname.split('/').filter(Boolean).slice(-2);
      const include: string[] = m.includeJson ? JSON.parse(m.includeJson) : [];
      return {
        url: m.location,
        fileName: `${org}--${repo}--${m.revision}`,
        sha256: null,
        auth: 'hf',
        repo: { revision: m.revision, include, ...(NEEDS_STORED_MODEL.has(engine) ? { entry: ggufEntry(modelName, files) } : {}) },
      };
    }
    return { url: m.location, fileName: m.fileName, sha256: m.sha256, ...auth };
  }

  /**
   * The models pods can fetch (from a URL, ready, hash known; or a Hub repository, ready, at its commit): what
   * the cluster keeps for the next leader (HA).
   */
  sharedCatalog(): SharedModel[] {
    const out: SharedModel[] = [];
    for (const m of this.store.list()) {
      if (m.kind === 'file' || m.kind === 'dir' || m.state !== 'ready') continue;
      const base = { name: m.name, source: m.source, kind: m.kind, location: m.location, fileName: m.fileName };
      const files = repoFiles(m);
      if (files && m.revision)
        out.push({ ...base, sha256: '', repo: { revision: m.revision, files, include: m.includeJson ? JSON.parse(m.includeJson) : [] } });
      else if (!files && m.sha256) out.push({ ...base, sha256: m.sha256 });
    }
    return out;
  }

  /**
   * Adds the models of the cluster's catalog that this store lacks (a new leader): pods can use them at once,
   * and this server fetches its own copy in the background (resumeInterrupted). Returns the names added.
   */
  adoptShared(models: readonly SharedModel[]): string[] {
    const now = this.o.clock.now();
    const added: string[] = [];
    for (const m of models) {
      if (this.store.get(m.name)) continue;
      this.store.insert({
        name: m.name,
        source: m.source,
        kind: m.kind,
        location: m.location,
        fileName: m.fileName,
        state: 'downloading',
        stateDetails: ADOPTED,
        bytesDone: 0,
        bytesTotal: m.repo ? m.repo.files.reduce((n, f) => n + f.size, 0) : null,
        sha256: null,
        expectedSha256: m.repo ? null : m.sha256,
        tokenSealed: null,
        revision: m.repo?.revision ?? null,
        filesJson: m.repo ? JSON.stringify(m.repo.files) : null,
        includeJson: m.repo?.include.length ? JSON.stringify(m.repo.include) : null,
        createdAt: now,
        updatedAt: now,
      });
      added.push(m.name);
    }
    return added;
  }

  /** Resolves when the download of `name` (if any) has settled. */
  async settled(name: string): Promise<void> {
    await this.jobs.get(name)?.done;
  }

  /** Stops downloads in progress; they stay "downloading" and resume at the next start. */
  async close(): Promise<void> {
    const jobs = [...this.jobs.values()];
    for (const j of jobs) j.abort.abort(new Error('server stopping'));
    await Promise.all(jobs.map((j) => j.done));
  }

  private tryOpen(sealed: string): string | undefined {
    try {
      return this.o.keys!.open(sealed);
    } catch {
      return undefined;
    }
  }

  /** The Hugging Face token goes to the Hugging Face origin only (never to a URL a catalog entry names). */
  private authHeaders(kind: string, token: string | undefined, location?: string): Record<string, string> {
    if (kind !== 'hf' || !token) return {};
    if (location !== undefined && !sameOrigin(location, hfEndpoint(this.env))) return {};
    return { authorization: `Bearer ${token}` };
  }

  private opener(m: ModelRow, token: string | undefined): SourceOpener {
    if (m.kind === 'file') return fileOpener(m.location);
    return httpOpener(m.location, this.authHeaders(m.kind, token ?? this.env.HF_TOKEN, m.location));
  }

  /** One file of a repository: from the Hub at the pinned commit (the token to the Hub only), or from the directory. */
  private repoOpener(m: ModelRow, f: RepoFile, token: string | undefined): SourceOpener {
    if (m.kind === 'dir') return fileOpener(join(m.location, ...f.path.split('/')));
    const url = repoFileUrl(m.location, m.revision ?? 'main', f.path);
    return httpOpener(url, this.authHeaders(m.kind, token ?? this.env.HF_TOKEN, url));
  }

  private start(name: string, token: string | undefined): void {
    const m = this.store.get(name)!;
    const abort = new AbortController();
    const dest = this.pathOf(m);
    mkdirSync(join(this.modelsDir, name), { recursive: true });
    // progress reaches the store at most every 250 ms, the last value always (a trailing write)
    let last = 0;
    let pending: [number, number | undefined] | undefined;
    let timer: { cancel(): void } | undefined;
    const details = `${m.kind === 'file' || m.kind === 'dir' ? 'copying' : 'downloading'} ${m.source}`;
    // a full disk may refuse these writes: progress is then not recorded, and an outcome is recorded at the
    // next start (the download resumes, or finds its finished file); it never ends the process
    const record = (patch: Parameters<ModelStore['update']>[1]) => {
      try {
        this.store.update(name, patch);
      } catch (e) {
        if (!isStorageFull(e)) throw e;
        this.o.log?.(`model ${name}: cannot record ${patch.state ?? 'progress'} (${(e as Error).message})`);
      }
    };
    const flush = () => {
      timer = undefined;
      if (!pending || abort.signal.aborted) return;
      last = this.o.clock.now();
      record({ bytesDone: pending[0], bytesTotal: pending[1] ?? null, stateDetails: details, updatedAt: last });
      pending = undefined;
    };
    const progress = (done: number, total: number | undefined) => {
      pending = [done, total];
      const wait = 250 - (this.o.clock.now() - last);
      if (wait <= 0) flush();
      else timer ??= this.o.clock.setTimeout(flush, wait);
    };
    const files = repoFiles(m);
    const tuning = { maxBytes: this.o.maxModelBytes, ...this.o.download };
    const fetched = files
      ? fetchRepository({
          dir: dest,
          files,
          open: (f) => this.repoOpener(m, f, token),
          clock: this.o.clock,
          signal: abort.signal,
          onProgress: progress,
          download: tuning,
        }).then((r) => ({
          size: r.size,
          sha256: null,
          patch: { filesJson: JSON.stringify(r.files) },
          text: `${r.files.length} files, ${r.size} bytes${m.revision ? ` at revision ${m.revision}` : ''}`,
        }))
      : downloadFile({
          dest,
          open: this.opener(m, token),
          clock: this.o.clock,
          signal: abort.signal,
          expectedSha256: m.expectedSha256 ?? undefined,
          onProgress: progress,
          ...tuning,
        }).then((r) => ({ ...r, patch: {}, text: `${r.size} bytes, sha256 ${r.sha256}` }));
    const done = fetched
      .then((r) => {
        timer?.cancel();
        record({
          state: 'ready',
          stateDetails: '',
          bytesDone: r.size,
          bytesTotal: r.size,
          sha256: r.sha256,
          tokenSealed: null,
          updatedAt: this.o.clock.now(),
          ...r.patch,
        });
        this.o.log?.(`model ${name} ready: ${r.text}`);
      })
      .catch((e: unknown) => {
        timer?.cancel();
        if (abort.signal.aborted) return;
        const msg = (e as Error).message;
        record({ state: 'error', stateDetails: msg, tokenSealed: null, updatedAt: this.o.clock.now() });
        this.o.log?.(`model ${name} failed: ${msg}`);
      })
      .finally(() => {
        timer?.cancel();
        this.jobs.delete(name);
      });
    this.jobs.set(name, { abort, done });
  }
}

/** The GGUF file of a repository llama.cpp loads: the only one, or the first part of a split GGUF. */
export function ggufEntry(modelName: string, files: readonly RepoFile[]): string {
  const gguf = files.map((f) => f.path).filter((p) => p.toLowerCase().endsWith('.gguf'));
  const entries = gguf.filter((p) => !/-\d{5}-of-\d{5}\.gguf$/i.test(p) || /-00001-of-\d{5}\.gguf$/i.test(p));
  if (entries.length === 1) return entries[0];
  throw new InferscaleError(
    'invalid_argument',
    `modelName: model "${modelName}" holds ${entries.length ? `${entries.length} GGUF files (${entries.slice(0, 4).join(', ')})` : 'no GGUF file'}; the llamacpp engine loads one: create the model with --include matching one GGUF`,
    { field: 'modelName' },
  );
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * An entry of the cluster's model catalog (the `inferscale-settings` ConfigMap, which anyone who can edit it
 * may change) checked as the API checks a model: a valid name, a plain file name (no path), an http(s)
 * location (a Hugging Face one on the Hugging Face origin), a sha256, or for a repository its commit and files.
 * Throws invalid_argument.
 */
export function checkSharedModel(m: unknown, env: NodeJS.ProcessEnv = process.env): SharedModel {
  const o = (m && typeof m === 'object' ? m : {}) as Record<string, unknown>;
  const name = validateModelName(o.name);
  if (typeof o.fileName !== 'string' || o.fileName !== safeFileName(o.fileName) || o.fileName.includes('..'))
    throw invalid('fileName', `must be a plain file name, got ${JSON.stringify(o.fileName)}`);
  if (o.kind !== 'url' && o.kind !== 'hf') throw invalid('kind', 'must be "url" or "hf" (pods fetch the model)');
  if (typeof o.location !== 'string' || !/^https?:\/\//i.test(o.location) || !URL.canParse(o.location)) throw invalid('location', 'must be an http(s) URL');
  if (o.kind === 'hf' && !sameOrigin(o.location, hfEndpoint(env))) throw invalid('location', `a Hugging Face model must come from ${hfEndpoint(env)}`);
  if (typeof o.source !== 'string' || o.source.length > 4096) throw invalid('source', 'must be a string');
  const kind: SharedModel['kind'] = o.kind;
  const base = { name, source: o.source, kind, location: o.location, fileName: o.fileName };
  if (o.repo !== undefined) return { ...base, sha256: '', repo: checkSharedRepo(o.kind, o.repo) };
  if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) throw invalid('sha256', 'must be 64 lowercase hex digits');
  return { ...base, sha256: o.sha256 };
}

/** A catalog repository: a Hub commit, safe relative paths, sizes, hashes in hex. Throws invalid_argument. */
function checkSharedRepo(kind: string, raw: unknown): NonNullable<SharedModel['repo']> {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  if (kind !== 'hf') throw invalid('repo', 'only a Hugging Face model can be a repository');
  if (typeof r.revision !== 'string' || !/^[0-9a-f]{40}$/.test(r.revision)) throw invalid('repo.revision', 'must be a commit sha (40 hex digits)');
  if (!Array.isArray(r.include) || !r.include.every((g) => typeof g === 'string' && g.length <= 256)) throw invalid('repo.include', 'must be a list of globs');
  if (!Array.isArray(r.files) || !r.files.length || r.files.length > 100_000) throw invalid('repo.files', 'must be a non-empty list');
  const files = r.files.map((f: Record<string, unknown>): RepoFile => {
    const path = f?.path;
    if (typeof path !== 'string' || path.startsWith('/') || path.split('/').some((p) => p === '' || p === '.' || p === '..'))
      throw invalid('repo.files', `unsafe path ${JSON.stringify(path)}`);
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) throw invalid('repo.files', `${path}: size must be a byte count`);
    if (f.sha256 !== undefined && (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)))
      throw invalid('repo.files', `${path}: sha256 must be 64 hex digits`);
    if (f.gitOid !== undefined && (typeof f.gitOid !== 'string' || !/^[0-9a-f]{40}$/.test(f.gitOid)))
      throw invalid('repo.files', `${path}: gitOid must be 40 hex digits`);
    return { path, size: f.size, ...(f.sha256 ? { sha256: f.sha256 as string } : {}), ...(f.gitOid ? { gitOid: f.gitOid as string } : {}) };
  });
  return { revision: r.revision, files, include: r.include as string[] };
}

/** Link-local (IPv4 169.254/16, IPv6 fe80::/10, IPv4-mapped) and well-known cloud metadata endpoints. */
export function isMetadataAddress(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'metadata.google.internal' || h === 'metadata' || h === '100.100.100.200' || h === 'fd00:ec2::254') return true;
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.\d+\.\d+$/.exec(h);
  if (v4) return Number(v4[1]) === 169 && Number(v4[2]) === 254;
  // IPv4-mapped in hex, as the URL parser writes it (::ffff:a9fe:a9fe is 169.254.169.254)
  return /^fe[89ab][0-9a-f]:/.test(h) || /^::ffff:a9fe:[0-9a-f]{1,4}$/.test(h);
}
