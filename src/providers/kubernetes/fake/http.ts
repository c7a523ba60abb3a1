/**
 * The fake API over HTTP, so the real @kubernetes/client-node talks to it as to an API server: REST paths
 * (/api/v1, /apis/GROUP/VERSION), JSON, the three patch content types, watch streams of newline-delimited
 * events (an ERROR event with code 410 when the resource version is too old), the scale and status
 * subresources and pod logs. Test hooks: `requests` (what was sent), `failNext`, `dropWatches`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError } from './errors.js';
import { resourceByPlural, type FakeCluster, type KObj } from './cluster.js';
import { applyPatch } from './patch.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: unknown;
}

interface Route {
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function parsePath(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0) return undefined;
  return { plural: rest[0], namespace, name: rest[1], subresource: rest[2] };
}

const LIST_KIND = (kind: string) => `${kind}List`;

/** The API server decodes MicroTime with layout 2006-01-02T15:04:05.000000Z07:00: exactly six fractional digits. */
function checkMicroTimes(lease: KObj | undefined): void {
  for (const f of ['acquireTime', 'renewTime'] as const) {
    const v = lease?.spec?.[f];
    if (v !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(String(v))) {
      throw new ApiStatusError(
        400,
        'BadRequest',
        `Lease in version "v1" cannot be handled as a Lease: parsing time "${v}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse as MicroTime`,
      );
    }
  }
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** pod logs served by GET .../pods/NAME/log */
  podLogs: (namespace: string, name: string) => string[] = (_ns, name) => [`pod ${name} started`, `pod ${name} serving`];
  private server?: Server;
  private readonly watches = new Set<ServerResponse>();
  private failures: { match: (method: string, path: string) => boolean; status: number }[] = [];
  url = '';

  constructor(readonly cluster: FakeCluster) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A kubeconfig pointing at this server, with `namespace` as the context's namespace. */
  kubeConfig(namespace = 'default'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** The next request matching `method` and `pathRe` fails with `status`. */
  failNext(method: string, pathRe: RegExp, status: number): void {
    this.failures.push({ match: (m, p) => m === method && pathRe.test(p), status });
  }

  /** Ends every open watch stream (as an API server restart or a load balancer timeout would). */
  dropWatches(): void {
    for (const res of this.watches) res.end();
    this.watches.clear();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const contentType = req.headers['content-type']?.split(';')[0].trim();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, contentType, body });
    try {
      const fail = this.failures.findIndex((f) => f.match(method, url.pathname));
      if (fail >= 0) {
        const { status } = this.failures.splice(fail, 1)[0];
        throw new ApiStatusError(status, status === 403 ? 'Forbidden' : status === 409 ? 'Conflict' : 'InternalError', `injected failure ${status}`);
      }
      const route = parsePath(url.pathname);
      if (!route) throw new ApiStatusError(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
      if (method === 'GET' && !route.name && query.watch === 'true') return this.watch(route, query, res);
      const out = this.dispatch(method, route, query, contentType, body);
      if (typeof out === 'string') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(out);
        return;
      }
      res.writeHead(method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    } catch (e) {
      const err = e instanceof ApiStatusError ? e : new ApiStatusError(500, 'InternalError', (e as Error).message);
      res.writeHead(err.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(err.toStatus()));
    }
  }

  private dispatch(method: string, r: Route, query: Record<string, string>, contentType: string | undefined, body: unknown): unknown {
    const c = this.cluster;
    if (r.plural === 'leases' && (method === 'POST' || method === 'PUT')) checkMicroTimes(body as KObj);
    const type = resourceByPlural(r.plural);
    const ns = type.namespaced ? r.namespace : undefined;
    if (r.subresource === 'log' && r.plural === 'pods' && method === 'GET') {
      c.get('pods', ns, r.name!);
      const lines = this.podLogs(ns ?? '', r.name!);
      const tail = query.tailLines ? Number(query.tailLines) : lines.length;
      return lines
        .slice(-tail)
        .map((l) => `${l}\n`)
        .join('');
    }
    if (r.subresource === 'scale') {
      if (method === 'GET') return c.getScale(ns!, r.name!, r.plural);
      if (method === 'PUT') return c.replaceScale(ns!, r.name!, body as KObj, r.plural);
      if (method === 'PATCH') return c.replaceScale(ns!, r.name!, applyPatch(contentType ?? '', c.getScale(ns!, r.name!, r.plural), body) as KObj, r.plural);
    }
    const sub = r.subresource === 'status' ? 'status' : undefined;
    if (r.subresource && !sub) throw new ApiStatusError(404, 'NotFound', `no subresource ${r.subresource}`);
    if (!r.name) {
      if (method === 'GET') {
        const { items, resourceVersion } = c.list(r.plural, ns, query.labelSelector);
        return { apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: LIST_KIND(type.kind), metadata: { resourceVersion }, items };
      }
      if (method === 'POST') return c.create(r.plural, ns, body as KObj);
      throw new ApiStatusError(405, 'MethodNotAllowed', `${method} on a collection`);
    }
    switch (method) {
      case 'GET':
        return c.get(r.plural, ns, r.name);
      case 'PUT':
        return c.replace(r.plural, ns, r.name, body as KObj, sub);
      case 'PATCH': {
        const cur = c.get(r.plural, ns, r.name);
        const next = applyPatch(contentType ?? '', cur, body) as KObj;
        if (next.metadata) delete next.metadata.resourceVersion;
        return c.replace(r.plural, ns, r.name, next, sub);
      }
      case 'DELETE': {
        const opts = (body ?? {}) as { gracePeriodSeconds?: number };
        const grace = query.gracePeriodSeconds !== undefined ? Number(query.gracePeriodSeconds) : opts.gracePeriodSeconds;
        return c.delete(r.plural, ns, r.name, grace);
      }
      default:
        throw new ApiStatusError(405, 'MethodNotAllowed', method);
    }
  }

  private watch(r: Route, query: Record<string, string>, res: ServerResponse): void {
    const type = resourceByPlural(r.plural);
    const ns = type.namespaced ? r.namespace : undefined;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    this.watches.add(res);
    const send = (e: unknown) => {
      if (!res.writableEnded) res.write(`${JSON.stringify(e)}\n`);
    };
    let stop: (() => void) | undefined;
    try {
      stop = this.cluster.watch(r.plural, ns, query.labelSelector, query.resourceVersion ? Number(query.resourceVersion) : undefined, send);
    } catch (e) {
      // what the API server does for a too old resource version: an ERROR event, then the end of the stream
      if (e instanceof ApiStatusError) send({ type: 'ERROR', object: e.toStatus() });
      this.watches.delete(res);
      res.end();
      return;
    }
    res.on('close', () => {
      stop?.();
      this.watches.delete(res);
    });
  }
}
