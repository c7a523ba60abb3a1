/**
 * A fake Hugging Face Hub over HTTP for tests, with the endpoints `huggingface_hub` uses and their JSON shapes:
 *
 *   GET  /api/models/{org}/{repo}/revision/{rev}        {_id, id, modelId, sha, private, gated, siblings: [{rfilename}]}
 *   GET  /api/models/{org}/{repo}/tree/{rev}?recursive=true
 *        [{type: 'file', oid, size, path, lfs?: {oid, size, pointerSize}}, {type: 'directory', oid, size: 0, path}]
 *   GET|HEAD /{org}/{repo}/resolve/{rev}/{path}         the bytes, with Range (206 + Content-Range); an LFS
 *        file is a 302 to a second server (the CDN, another origin) when `lfsOnCdn` is set
 *
 * Errors as the Hub sends them: an unknown repository is a 401 with `X-Error-Code: RepoNotFound`, an unknown
 * revision a 404 `RevisionNotFound`, a gated repository's file without the token a 401 `GatedRepo` (its
 * listing stays public, as on the Hub). It counts the body bytes it sends (`bytesServed`) and can cut a
 * file's body after N bytes, once: the connection dropped, or held open until `release()`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HubFile {
  path: string;
  data: Buffer;
  /** stored in LFS (weights): listed with lfs.oid = sha256; else in git (config, tokenizer) */
  lfs?: boolean;
}

export interface HubRepo {
  /** branch or tag -> commit sha (40 hex) */
  refs: Record<string, string>;
  files: HubFile[];
  /** gated: the bytes need `Authorization: Bearer <token>` */
  token?: string;
}

export interface HubRequest {
  method: string;
  host: 'hub' | 'cdn';
  path: string;
  range?: string;
  auth?: string;
}

export interface FakeHub {
  url: string;
  cdnUrl: string;
  repos: Map<string, HubRepo>;
  seen: HubRequest[];
  /** body bytes sent by the resolve endpoint and the CDN */
  bytesServed: number;
  /** redirect LFS files to the CDN origin, as the Hub does */
  lfsOnCdn: boolean;
  /** tree entries per page (the Hub pages with `Link: <...&cursor=...>; rel="next"`) */
  treePageSize: number;
  /** the next GET of `path` (a repository file path) sends `afterBytes` of its body, then drops or hangs */
  interrupt(path: string, afterBytes: number, mode: 'drop' | 'hang'): void;
  /** resolves once an interrupt has cut a body */
  interrupted(): Promise<void>;
  /** ends responses held by a 'hang' interrupt */
  release(): void;
  close(): Promise<void>;
}

export const gitBlobSha1 = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** a commit sha for tests: 40 hex digits derived from a word */
export const commitSha = (word: string): string => createHash('sha1').update(word).digest('hex');

function pointer(data: Buffer): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(data)}\nsize ${data.length}\n`;
}

function treeEntries(files: HubFile[]): object[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: object[] = [...dirs].sort().map((d) => ({ type: 'directory', oid: gitBlobSha1(Buffer.from(d)), size: 0, path: d }));
  for (const f of files) {
    if (f.lfs) {
      const p = Buffer.from(pointer(f.data));
      entries.push({
        type: 'file',
        oid: gitBlobSha1(p),
        size: f.data.length,
        lfs: { oid: sha256Hex(f.data), size: f.data.length, pointerSize: p.length },
        path: f.path,
      });
    } else entries.push({ type: 'file', oid: gitBlobSha1(f.data), size: f.data.length, path: f.path });
  }
  return entries;
}

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
};

export async function startFakeHub(): Promise<FakeHub> {
  const repos = new Map<string, HubRepo>();
  const seen: HubRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let cut: { path: string; afterBytes: number; mode: 'drop' | 'hang' } | undefined;
  let onCut: (() => void) | undefined;
  let cutHappened = false;

  const error = (res: ServerResponse, status: number, code: string, message: string) =>
    void res
      .writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message })
      .end(JSON.stringify({ error: message }));

  const commitOf = (r: HubRepo, rev: string) => (/^[0-9a-f]{40}$/.test(rev) && Object.values(r.refs).includes(rev) ? rev : r.refs[rev]);

  const sendBytes = (req: IncomingMessage, res: ServerResponse, f: HubFile) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m?.[2] ? Math.min(Number(m[2]), f.data.length - 1) : f.data.length - 1;
    if (m && start >= f.data.length) return void res.writeHead(416, { 'content-range': `bytes */${f.data.length}` }).end();
    const body = f.data.subarray(start, end + 1);
    res.writeHead(m ? 206 : 200, {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      etag: `"${f.lfs ? sha256Hex(f.data) : gitBlobSha1(f.data)}"`,
      ...(m ? { 'content-range': `bytes ${start}-${end}/${f.data.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    if (cut && cut.path === f.path && body.length > cut.afterBytes) {
      const c = cut;
      cut = undefined;
      hub.bytesServed += c.afterBytes;
      res.write(body.subarray(0, c.afterBytes), () => {
        cutHappened = true;
        onCut?.();
        if (c.mode === 'drop') res.destroy();
        else hanging.add(res);
      });
      return;
    }
    hub.bytesServed += body.length;
    res.end(body);
  };

  const findFile = (path: string): { repo: HubRepo; file: HubFile; sha: string } | undefined => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const r = m && repos.get(m[1]);
    const sha = r && commitOf(r, decodeURIComponent(m[2]));
    const file = r && sha ? r.files.find((f) => f.path === m![3].split('/').map(decodeURIComponent).join('/')) : undefined;
    return r && sha && file ? { repo: r, file, sha } : undefined;
  };

  const hubServer = createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    seen.push({ method: req.method ?? 'GET', host: 'hub', path, range: req.headers.range, auth: req.headers.authorization });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(path);
    if (api) {
      const r = repos.get(api[1]);
      if (!r) return error(res, 401, 'RepoNotFound', 'Repository not found');
      const sha = commitOf(r, decodeURIComponent(api[3]));
      if (!sha) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${api[3]}`);
      if (api[2] === 'tree') {
        const all = treeEntries(/(^|&)recursive=(true|1)(&|$)/.test(query) ? r.files : r.files.filter((f) => !f.path.includes('/')));
        const from = Number(/(?:^|&)cursor=(\d+)/.exec(query)?.[1] ?? 0);
        const to = from + hub.treePageSize;
        if (to < all.length) res.setHeader('link', `<${hub.url}${path}?${query.replace(/&?cursor=\d+/, '')}&cursor=${to}>; rel="next"`);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(all.slice(from, to)));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          _id: sha.slice(0, 24),
          id: api[1],
          modelId: api[1],
          private: false,
          gated: r.token ? 'manual' : false,
          sha,
          siblings: r.files.map((f) => ({ rfilename: f.path })),
        }),
      );
    }
    const found = findFile(path);
    if (!found) {
      const repo = /^\/([^/]+\/[^/]+)\/resolve\//.exec(path)?.[1];
      if (repo && !repos.has(repo)) return error(res, 401, 'RepoNotFound', 'Repository not found');
      return error(res, 404, 'EntryNotFound', 'Entry not found');
    }
    if (found.repo.token && req.headers.authorization !== `Bearer ${found.repo.token}`)
      return error(res, 401, 'GatedRepo', 'Access to this model is restricted');
    if (found.file.lfs && hub.lfsOnCdn) {
      return void res.writeHead(302, { location: `${hub.cdnUrl}/lfs/${sha256Hex(found.file.data)}` }).end();
    }
    sendBytes(req, res, found.file);
  });

  const cdnServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    seen.push({ method: req.method ?? 'GET', host: 'cdn', path, range: req.headers.range, auth: req.headers.authorization });
    const oid = /^\/lfs\/([0-9a-f]{64})$/.exec(path)?.[1];
    const file = oid ? [...repos.values()].flatMap((r) => r.files).find((f) => f.lfs && sha256Hex(f.data) === oid) : undefined;
    if (!file) return void res.writeHead(404).end();
    sendBytes(req, res, file);
  });

  const hub: FakeHub = {
    url: await listen(hubServer),
    cdnUrl: await listen(cdnServer),
    repos,
    seen,
    bytesServed: 0,
    lfsOnCdn: false,
    treePageSize: 1000,
    interrupt(path, afterBytes, mode) {
      cut = { path, afterBytes, mode };
      cutHappened = false;
    },
    interrupted() {
      return cutHappened ? Promise.resolve() : new Promise<void>((r) => (onCut = r));
    },
    release() {
      for (const r of hanging) r.destroy();
      hanging.clear();
    },
    async close() {
      hub.release();
      for (const s of [hubServer, cdnServer]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
  return hub;
}
