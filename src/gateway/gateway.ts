import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { keyMatches } from '../security/secrets.js';
import type { DeploymentRoute, ReplicaRoute, RouteTable } from './routes.js';
import { sendOpenAIError } from './openai-errors.js';
import { forwardToReplica } from './forward.js';
import type { RequestLog } from './request-log.js';

const PASS_THROUGH = new Set(['chat/completions', 'completions', 'embeddings']);

export interface GatewayOptions {
  routes: RouteTable;
  /** where each request's arrival, tokens, TTFT and status go, for replay in the simulator */
  requestLog?: RequestLog;
  clock: Clock;
  maxBodyBytes?: number;
}

/**
 * The OpenAI-compatible data plane. `handle` answers `/d/NAME/v1/...` (one deployment's URL) and `/v1/...`
 * (root: `model` names the deployment), checks the key in constant time, asks the deployment's Admission
 * for a replica (or a place in its queue), forwards, and measures.
 */
export class Gateway {
  private readonly maxBody: number;

  constructor(private readonly o: GatewayOptions) {
    this.maxBody = o.maxBodyBytes ?? 8 * 1024 * 1024;
  }

  /** Returns false when the path is not the gateway's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    let name: string | undefined;
    let rest: string;
    if (url.startsWith('/d/')) {
      const slash = url.indexOf('/', 3);
      if (slash < 0) return false;
      name = url.slice(3, slash);
      rest = url.slice(slash);
    } else if (url.startsWith('/v1/')) {
      rest = url;
    } else {
      return false;
    }
    const q = rest.indexOf('?');
    const path = q < 0 ? rest : rest.slice(0, q);
    if (!path.startsWith('/v1/')) return false;
    void this.serve(req, res, name, path.slice(4)).catch((e) => {
      sendOpenAIError(res, e instanceof InferscaleError ? e : new InferscaleError('internal', 'gateway error'));
    });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, name: string | undefined, op: string): Promise<void> {
    const key = bearer(req);
    if (op === 'models' && req.method === 'GET') return this.models(res, name, key);
    if (!PASS_THROUGH.has(op)) throw new InferscaleError('not_found', `unknown endpoint /v1/${op}`);
    if (req.method !== 'POST') throw new InferscaleError('invalid_argument', `/v1/${op} takes POST`);
    let body = await readBody(req, this.maxBody);
    let route: DeploymentRoute | undefined;
    let streaming = false;
    let parsed: { model?: unknown; stream?: unknown } | undefined;
    if (name === undefined || body.length < 65536) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new InferscaleError('invalid_argument', 'request body is not valid JSON', { field: 'body' });
      }
      streaming = parsed?.stream === true;
    } else {
      streaming = /"stream"\s*:\s*true/.test(body.subarray(0, 65536).toString('latin1'));
    }
    if (name === undefined) {
      if (typeof parsed?.model !== 'string') throw new InferscaleError('invalid_argument', 'model: name the deployment in "model"', { field: 'model' });
      route = this.o.routes.get(parsed.model);
      if (!route) throw this.authOrMissing(key, parsed.model);
    } else {
      route = this.o.routes.get(name);
      if (!route) throw this.authOrMissing(key, name);
    }
    this.authorize(route, key);
    // engines serve the deployment's model name (vLLM checks it): a client naming the deployment, or
    // anything else, is rewritten. Bodies over 64 KiB on a deployment URL are passed through untouched.
    if (parsed && typeof parsed === 'object' && parsed.model !== route.modelName) {
      parsed.model = route.modelName;
      body = Buffer.from(JSON.stringify(parsed));
    }
    const p = parsed as { max_tokens?: unknown; max_completion_tokens?: unknown } | undefined;
    const wanted = Number(p?.max_tokens ?? p?.max_completion_tokens ?? 16) || 16;
    this.dispatch(res, route, op, body, streaming, wanted);
  }

  private dispatch(res: ServerResponse, route: DeploymentRoute, op: string, body: Buffer, streaming: boolean, wantedTokens: number): void {
    const clock = this.o.clock;
    const log = this.o.requestLog;
    const start = clock.now();
    const stats = route.stats;
    stats.arrivals++;
    stats.lastActivityAt = start;
    const path = `/v1/${op}`;
    const attempt = (exclude: ReplicaRoute | undefined, retried: boolean) => {
      let granted = false;
      const cancel = route.admission.acquire((err, replica, waitedMs) => {
        granted = true;
        if (err || !replica) {
          route.series.rejected.requests(String(err!.status)).inc();
          log?.push(route.id, start, Math.ceil(body.length / 4), wantedTokens, undefined, err!.status);
          if (!res.destroyed) sendOpenAIError(res, err!);
          return;
        }
        if (res.destroyed) {
          route.admission.release(replica);
          return;
        }
        if (waitedMs) route.series.queueWait.observe(waitedMs / 1000);
        forwardToReplica({ res, replica, path, body, streaming, clock, start }, (r) => {
          route.admission.release(replica);
          stats.lastActivityAt = clock.now();
          if (r.kind === 'refused') {
            replica.recordFailure();
            if (!retried && !res.destroyed) {
              route.series.retries.inc();
              attempt(replica, true);
              return;
            }
            if (!res.destroyed) sendOpenAIError(res, new InferscaleError('upstream_error', `replica ${replica.id} refused the request (${r.status === 503 ? 'shutting down or loading' : 'connection refused'})`, { retryAfterSeconds: 1 }));
          } else if (r.kind === 'ok') {
            replica.recordSuccess();
          }
          if (!replica.retired) {
            const s = replica.series;
            s.requests(r.kind === 'refused' ? '502' : r.kind === 'aborted' ? '499' : String(r.status)).inc();
            if (r.ttftMs !== undefined) s.ttft.observe(r.ttftMs / 1000);
            s.latency.observe((clock.now() - start) / 1000);
          }
          if (r.ttftMs !== undefined) stats.ttftMs.push(r.ttftMs);
          if (r.promptTokens) route.series.promptTokens.inc(r.promptTokens);
          if (r.completionTokens) route.series.completionTokens.inc(r.completionTokens);
          log?.push(route.id, start, r.promptTokens ?? Math.ceil(body.length / 4), r.completionTokens ?? wantedTokens, r.ttftMs, r.kind === 'ok' ? r.status : 502);
        });
      }, exclude);
      // a client that goes away while queued gives its queue slot back at once
      if (!granted) {
        res.once('close', () => {
          if (granted) return;
          cancel();
          route.series.rejected.requests('499').inc();
          log?.push(route.id, start, Math.ceil(body.length / 4), wantedTokens, undefined, 499);
        });
      }
    };
    attempt(undefined, false);
  }

  private models(res: ServerResponse, name: string | undefined, key: string | undefined): void {
    let routes: DeploymentRoute[];
    if (name !== undefined) {
      const route = this.o.routes.get(name);
      if (!route) throw this.authOrMissing(key, name);
      this.authorize(route, key);
      routes = [route];
    } else {
      if (!key) throw new InferscaleError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
      routes = [...this.o.routes.all()].filter((r) => keyMatches(key, r.keyHash));
      if (!routes.length) throw new InferscaleError('unauthorized', 'invalid API key');
    }
    const body = JSON.stringify({ object: 'list', data: routes.map((r) => ({ id: r.name, object: 'model', created: 0, owned_by: 'inferscale' })) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private authorize(route: DeploymentRoute, key: string | undefined): void {
    if (!key) throw new InferscaleError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    if (!keyMatches(key, route.keyHash)) throw new InferscaleError('unauthorized', 'invalid API key for this deployment');
  }

  /** An unknown deployment answers 401 to a caller without a valid key, so names cannot be probed. */
  private authOrMissing(key: string | undefined, name: string): InferscaleError {
    if (!key) return new InferscaleError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    for (const r of this.o.routes.all()) {
      if (keyMatches(key, r.keyHash)) return new InferscaleError('not_found', `deployment "${name}" not found`, { field: 'model' });
    }
    return new InferscaleError('unauthorized', 'invalid API key');
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h || !h.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim();
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(new InferscaleError('payload_too_large', `request body of ${declared} bytes is above the limit of ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new InferscaleError('payload_too_large', `request body is above the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
