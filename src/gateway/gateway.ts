import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { gatewayLimits, type GatewayLimits } from '../domain/limits.js';
import type { DeploymentRoute, ReplicaRoute, RouteTable } from './route-table.js';
import { sendOpenAIError } from './openai-errors.js';
import { forwardToReplica } from './forward.js';
import type { RequestLog } from './request-log.js';
import { recordCompletion, recordFirstToken } from './window-stats.js';
import { BodyBudget, readBody } from './request-body.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import type { GatewayTracer, SpanOutcome } from './tracing.js';

const PASS_THROUGH = new Set(['chat/completions', 'completions', 'embeddings']);

export interface GatewayOptions {
  routes: RouteTable;
  /** where each request's arrival, tokens, TTFT and status go, for replay in the simulator */
  requestLog?: RequestLog;
  clock: Clock;
  limits?: Partial<GatewayLimits>;
  /** OpenTelemetry traces of requests (tracing.ts); undefined: none */
  tracer?: GatewayTracer;
  /** a fresh request id when the client sent none usable (default: a random UUID) */
  newRequestId?: () => string;
}

/**
 * The OpenAI-compatible data plane. `handle` answers `/d/NAME/v1/...` (one deployment's URL) and `/v1/...`
 * (root: `model` names the deployment), checks the key from the headers before reading any body, asks the
 * deployment's Admission for a replica (or a place in its queue), forwards, and measures.
 */
export class Gateway {
  readonly limits: Readonly<GatewayLimits>;
  readonly bodies: BodyBudget;

  constructor(private readonly o: GatewayOptions) {
    this.limits = gatewayLimits(o.limits);
    this.bodies = new BodyBudget(this.limits.maxBufferedBodyBytes);
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
    // every answer carries it, errors included; the replica gets it too (forward.ts)
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER], this.o.newRequestId);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    void this.serve(req, res, name, path.slice(4), requestId).catch((e) => {
      // answered before its body was read (wrong key, too large, busy): the connection closes, the body is never read
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      sendOpenAIError(res, e instanceof InferscaleError ? e : new InferscaleError('internal', 'gateway error'));
    });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, name: string | undefined, op: string, requestId: string): Promise<void> {
    const key = bearer(req);
    if (op === 'models' && req.method === 'GET') return this.models(res, name, key);
    if (!PASS_THROUGH.has(op)) throw new InferscaleError('not_found', `unknown endpoint /v1/${op}`);
    if (req.method !== 'POST') throw new InferscaleError('invalid_argument', `/v1/${op} takes POST`);
    // the key first, from the headers: a request without a valid one never has its body read
    let route: DeploymentRoute | undefined;
    let opened: ReadonlySet<DeploymentRoute> | undefined;
    if (name !== undefined) {
      route = this.o.routes.get(name);
      if (!route) throw this.authOrMissing(key, name);
      this.authorize(route, key);
    } else {
      if (!key) throw missingKey();
      opened = this.o.routes.byKey(key);
      if (!opened.size) throw new InferscaleError('unauthorized', 'invalid API key');
    }
    let body = await readBody(req, res, this.limits.maxBodyBytes, this.bodies);
    // parsed once, whatever its size (the body is already whole and bounded by maxBodyBytes)
    let parsed: { model?: unknown; stream?: unknown; stream_options?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new InferscaleError('invalid_argument', 'request body is not valid JSON', { field: 'body' });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new InferscaleError('invalid_argument', 'request body must be a JSON object', { field: 'body' });
    const streaming = parsed.stream === true;
    if (opened) {
      if (typeof parsed.model !== 'string') throw new InferscaleError('invalid_argument', 'model: name the deployment in "model"', { field: 'model' });
      route = this.o.routes.get(parsed.model);
      if (!route) throw new InferscaleError('not_found', `deployment "${parsed.model}" not found`, { field: 'model' });
      if (!opened.has(route)) throw new InferscaleError('unauthorized', 'invalid API key for this deployment');
    }
    route = route!;
    // engines serve the deployment's model name (vLLM checks it): a client naming the deployment, or
    // anything else, is rewritten; a stream asks for usage from engines that send it (the gateway's token
    // counts), and the extra usage-only event is kept from a client that did not ask for it
    let changed = false;
    if (parsed.model !== route.modelName) {
      parsed.model = route.modelName;
      changed = true;
    }
    const stripUsage = streaming && route.streamUsage && !asksUsage(parsed.stream_options);
    if (stripUsage) {
      parsed.stream_options = { ...(isObject(parsed.stream_options) ? parsed.stream_options : {}), include_usage: true };
      changed = true;
    }
    if (changed) body = Buffer.from(JSON.stringify(parsed));
    const p = parsed as { max_tokens?: unknown; max_completion_tokens?: unknown } | undefined;
    const wanted = Number(p?.max_tokens ?? p?.max_completion_tokens ?? 16) || 16;
    const traceparent = req.headers.traceparent;
    this.dispatch(res, route, op, body, streaming, wanted, stripUsage, requestId, typeof traceparent === 'string' ? traceparent : undefined);
  }

  private dispatch(
    res: ServerResponse,
    route: DeploymentRoute,
    op: string,
    body: Buffer,
    streaming: boolean,
    wantedTokens: number,
    stripUsage: boolean,
    requestId: string,
    traceparent: string | undefined,
  ): void {
    const clock = this.o.clock;
    const log = this.o.requestLog;
    const start = clock.now();
    const span = this.o.tracer?.start(op, route.name, requestId, start, traceparent);
    /** the request's one record: the request log's row and the span's end */
    const record = (o: SpanOutcome & { inputTokens: number; outputTokens: number }, ttftMs?: number) => {
      log?.push(route.id, start, o.inputTokens, o.outputTokens, ttftMs, o.status, requestId);
      span?.end(o, clock.now());
    };
    const stats = route.stats;
    // the request log's estimate when the engine reports no usage; the window's at the first token
    const promptEstimate = Math.ceil(body.length / 4);
    stats.arrivals++;
    stats.lastActivityAt = start;
    const path = `/v1/${op}`;
    const attempt = (exclude: ReplicaRoute | undefined, retried: boolean) => {
      let granted = false;
      const cancel = route.admission.acquire((err, replica, waitedMs) => {
        granted = true;
        if (err || !replica) {
          route.series.rejected.requests(String(err!.status)).inc();
          record({ status: err!.status, inputTokens: promptEstimate, outputTokens: wantedTokens });
          if (!res.destroyed) sendOpenAIError(res, err!);
          return;
        }
        if (res.destroyed) {
          route.admission.release(replica);
          return;
        }
        if (waitedMs) route.series.queueWait.observe(waitedMs / 1000);
        span?.replica(replica.url);
        // the wait for a slot: arrival to this dispatch (a retried request's first attempt included)
        const dispatchedAt = clock.now();
        const onFirstToken = (ttftMs: number) => recordFirstToken(stats, ttftMs, dispatchedAt - start, promptEstimate);
        const { upstreamHeadersTimeoutMs: headersTimeoutMs, upstreamIdleTimeoutMs: idleTimeoutMs } = this.limits;
        // the replica's request continues the trace: the gateway's span is its parent (else the client's context goes on)
        const trace = span?.traceparent ?? traceparent;
        const forward = {
          res,
          replica,
          path,
          body,
          streaming,
          stripUsage,
          clock,
          start,
          onFirstToken,
          headersTimeoutMs,
          idleTimeoutMs,
          requestId,
          traceparent: trace,
        };
        forwardToReplica(forward, (r) => {
          route.admission.release(replica);
          const end = clock.now();
          stats.lastActivityAt = end;
          if (r.kind === 'refused' || r.kind === 'timeout') {
            // nothing reached the client: once more on another replica, else an error answer
            replica.recordFailure();
            if (!retried && !res.destroyed) {
              route.series.retries.inc();
              attempt(replica, true);
              return;
            }
            if (!res.destroyed) sendOpenAIError(res, upstreamError(replica, r.kind, r.status, headersTimeoutMs));
          } else if (r.kind === 'ok') {
            replica.recordSuccess();
          } else if (r.kind === 'failed' && !res.headersSent && !res.destroyed) {
            sendOpenAIError(res, new InferscaleError('upstream_error', `replica ${replica.id} failed before answering`));
          }
          // counted on the deployment: the replica may already be retired (a reclaimed node's engine dying mid-stream)
          if (r.cut) route.series.responsesCut.inc();
          const status = r.kind === 'ok' ? r.status : r.kind === 'timeout' ? 504 : r.kind === 'aborted' ? 499 : 502;
          if (!replica.retired) {
            const s = replica.series;
            s.requests(String(status)).inc();
            if (r.ttftMs !== undefined) s.ttft.observe(r.ttftMs / 1000);
            s.latency.observe((end - start) / 1000);
          }
          if (r.kind === 'ok' && r.status >= 200 && r.status < 300) {
            recordCompletion(stats, end - dispatchedAt, r.completionTokens, r.ttftMs === undefined ? undefined : end - start - r.ttftMs);
            const tpot = timePerOutputToken(end - start, r.ttftMs, r.completionTokens);
            if (tpot !== undefined) route.series.timePerOutputToken.observe(tpot);
          }
          if (r.promptTokens) route.series.promptTokens.inc(r.promptTokens);
          if (r.completionTokens) route.series.completionTokens.inc(r.completionTokens);
          record({ status, inputTokens: r.promptTokens ?? promptEstimate, outputTokens: r.completionTokens ?? wantedTokens }, r.ttftMs);
        });
      }, exclude);
      // a client that goes away while queued gives its queue slot back at once
      if (!granted) {
        res.once('close', () => {
          if (granted) return;
          cancel();
          route.series.rejected.requests('499').inc();
          record({ status: 499, inputTokens: promptEstimate, outputTokens: wantedTokens });
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
      if (!key) throw missingKey();
      routes = [...this.o.routes.byKey(key)];
      if (!routes.length) throw new InferscaleError('unauthorized', 'invalid API key');
    }
    const body = JSON.stringify({ object: 'list', data: routes.map((r) => ({ id: r.name, object: 'model', created: 0, owned_by: 'inferscale' })) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private authorize(route: DeploymentRoute, key: string | undefined): void {
    if (!key) throw missingKey();
    if (!route.opens(key, this.o.clock.now())) throw new InferscaleError('unauthorized', 'invalid API key for this deployment');
  }

  /** An unknown deployment answers 401 to a caller without a valid key, so names cannot be probed. */
  private authOrMissing(key: string | undefined, name: string): InferscaleError {
    if (!key) return missingKey();
    if (this.o.routes.byKey(key).size) return new InferscaleError('not_found', `deployment "${name}" not found`, { field: 'model' });
    return new InferscaleError('unauthorized', 'invalid API key');
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim();
}

/**
 * Seconds per output token after the first, of a streamed answer (the first token's time is TTFT's): undefined
 * when there is no TTFT or fewer than two tokens.
 */
export function timePerOutputToken(durationMs: number, ttftMs: number | undefined, completionTokens: number | undefined): number | undefined {
  if (ttftMs === undefined || completionTokens === undefined || completionTokens < 2) return undefined;
  return Math.max(0, durationMs - ttftMs) / 1000 / (completionTokens - 1);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asksUsage(streamOptions: unknown): boolean {
  return isObject(streamOptions) && streamOptions.include_usage === true;
}

function missingKey(): InferscaleError {
  return new InferscaleError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
}

function upstreamError(replica: ReplicaRoute, kind: 'refused' | 'timeout', status: number, headersTimeoutMs: number): InferscaleError {
  if (kind === 'timeout') {
    return new InferscaleError('upstream_timeout', `replica ${replica.id} sent no answer within ${Math.round(headersTimeoutMs / 1000)} s`, {
      retryAfterSeconds: 1,
    });
  }
  return new InferscaleError(
    'upstream_error',
    `replica ${replica.id} refused the request (${status === 503 ? 'shutting down or loading' : 'connection refused'})`,
    { retryAfterSeconds: 1 },
  );
}
