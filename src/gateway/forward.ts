import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Clock, Timer } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import type { ReplicaRoute } from './route-table.js';
import { openAIErrorEvent } from './openai-errors.js';
import { StreamUsage, lastUsage, type Usage } from './usage.js';

export type ForwardResult = {
  /**
   * ok: answered; refused: no byte sent to the client (the connection was refused or broke before the
   * answer's first byte, or a 503 said the replica is shutting down or still loading), safe to retry
   * elsewhere; aborted: client left; failed: the replica failed (before answering: nothing was sent, the
   * gateway answers; after the first byte reached the client: `cut`); timeout: the replica sent no response
   * headers within the headers timeout (or went silent before any byte reached the client)
   */
  kind: 'ok' | 'refused' | 'aborted' | 'failed' | 'timeout';
  status: number;
  ttftMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  /** failed after the answer had begun: a stream ended with an error event, a non-streamed answer was cut */
  cut?: boolean;
};

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);
const MAX_SCAN = 1 << 20;
/** 503 codes our engines (simulator, llama.cpp) answer while loading or shutting down: nothing was processed */
const NOT_PROCESSED_RE = /"(engine_draining|model_loading)"/;
const CLIENT_GONE = new Error('client disconnected');
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface ForwardRequest {
  res: ServerResponse;
  replica: ReplicaRoute;
  path: string;
  body: Buffer;
  streaming: boolean;
  clock: Clock;
  /** the request's arrival at the gateway: TTFT counts from here */
  start: number;
  /** called once, when a stream's first bytes arrive, with its TTFT */
  onFirstToken?: (ttftMs: number) => void;
  /**
   * the gateway added `stream_options.include_usage` that the client did not ask for: the usage-only
   * event is read and not sent to the client
   */
  stripUsage?: boolean;
  /** the longest a replica may take to send its response headers */
  headersTimeoutMs: number;
  /** the longest a replica may stay silent between two chunks of its response, and a client leave it unread */
  idleTimeoutMs: number;
  /** sent to the replica as x-request-id (the engine's logs then name the gateway's request) */
  requestId?: string;
  /** W3C trace context for the replica (the gateway's span, or the client's own when not tracing) */
  traceparent?: string;
}

/**
 * Sends one request to one replica through undici's raw dispatch API (no stream objects, no promises
 * on the request path) and copies the answer to the client chunk by chunk, pausing the upstream when
 * the client is slow. Calls `done` exactly once; the outcome says whether a retry elsewhere is safe.
 */
export function forwardToReplica(f: ForwardRequest, done: (r: ForwardResult) => void): void {
  new ProxyHandler(f, done).send();
}

class ProxyHandler implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private status = 0;
  private ttftMs?: number;
  private events = 0;
  /** a stream's (or a large answer's) usage reader: keeps the tail, or strips the usage-only event */
  private tail?: StreamUsage;
  private scan: Buffer[] | null = null;
  private scanned = 0;
  /** a 503 is held (headers and body) until its end shows whether it is a refusal to retry elsewhere */
  private held503?: { headers: Record<string, string | string[]>; body: Buffer[] };
  /**
   * the answer's status and headers, written with its first byte (a stream's first event, a JSON answer's
   * end): until then nothing has reached the client and a broken connection is retried elsewhere
   */
  private head?: { status: number; headers: Record<string, string | string[]> };
  private finished = false;
  private clientGone = false;
  /** runs while the client does not read (upstream paused): a client that never reads gives its slot back */
  private stall?: Timer;
  private readonly onClose = () => {
    if (this.f.res.writableFinished) return;
    this.clientGone = true;
    this.controller?.abort(CLIENT_GONE);
  };

  constructor(
    private readonly f: ForwardRequest,
    private readonly done: (r: ForwardResult) => void,
  ) {}

  send(): void {
    this.f.res.once('close', this.onClose);
    this.f.replica.pool.dispatch(
      {
        path: this.f.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: this.f.streaming ? 'text/event-stream' : 'application/json',
          ...(this.f.replica.authorization ? { authorization: this.f.replica.authorization } : {}),
          ...(this.f.requestId ? { 'x-request-id': this.f.requestId } : {}),
          ...(this.f.traceparent ? { traceparent: this.f.traceparent } : {}),
        },
        body: this.f.body,
        headersTimeout: this.f.headersTimeoutMs,
        bodyTimeout: this.f.idleTimeoutMs,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(CLIENT_GONE);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    const out: Record<string, string | string[]> = {};
    for (const k in headers) {
      const v = headers[k];
      // the gateway's own x-request-id (already set on the answer) is not replaced by the engine's
      if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'x-request-id') out[k] = v;
    }
    if (statusCode === 503) {
      this.held503 = { headers: out, body: [] };
      return;
    }
    if (this.f.streaming) {
      out['x-accel-buffering'] = 'no';
      this.tail = new StreamUsage(this.f.stripUsage === true);
    } else this.scan = [];
    this.head = { status: statusCode, headers: out };
  }

  /** Writes the held status and headers, once, just before the answer's first byte. */
  private begin(): void {
    if (!this.head) return;
    this.f.res.writeHead(this.head.status, this.head.headers);
    this.head = undefined;
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    const f = this.f;
    if (this.held503) {
      this.held503.body.push(chunk);
      return;
    }
    if (this.f.streaming) {
      if (this.ttftMs === undefined) {
        this.ttftMs = f.clock.now() - f.start;
        f.onFirstToken?.(this.ttftMs);
      }
      this.events += countEvents(chunk);
      chunk = this.tail!.push(chunk);
      if (!chunk.length) return;
      this.begin();
    } else if (this.scan && this.scanned < MAX_SCAN) {
      // a small JSON answer is held and sent whole at the end with its headers: one write, not three
      this.scan.push(chunk);
      this.scanned += chunk.length;
      return;
    } else if (this.scan) {
      this.begin();
      for (const held of this.scan) f.res.write(held);
      this.tail = new StreamUsage(false);
      this.tail.push(this.scan[this.scan.length - 1]);
      this.scan = null;
      this.tail.push(chunk);
    } else this.tail?.push(chunk);
    if (!f.res.write(chunk)) {
      c.pause();
      this.stall = f.clock.setTimeout(() => f.res.destroy(), f.idleTimeoutMs);
      f.res.once('drain', () => {
        this.stall?.cancel();
        c.resume();
      });
    }
  }

  onResponseEnd(): void {
    if (this.held503) return this.endHeld503(this.held503);
    let usage: Usage | undefined;
    this.begin();
    if (this.scan) {
      const body = this.scan.length === 1 ? this.scan[0] : Buffer.concat(this.scan);
      this.f.res.end(body);
      usage = lastUsage(body);
    } else {
      const rest = this.tail?.end();
      this.f.res.end(rest?.length ? rest : undefined);
      usage = this.tail?.result();
    }
    this.finish({
      kind: 'ok',
      status: this.status,
      ttftMs: this.ttftMs,
      promptTokens: usage?.promptTokens,
      completionTokens: usage?.completionTokens ?? (this.f.streaming ? Math.max(0, this.events - 1) : undefined),
    });
  }

  private endHeld503(h: { headers: Record<string, string | string[]>; body: Buffer[] }): void {
    const body = Buffer.concat(h.body);
    if (NOT_PROCESSED_RE.test(body.toString('latin1', 0, Math.min(body.length, 4096)))) return this.finish({ kind: 'refused', status: 503 });
    this.f.res.writeHead(503, h.headers);
    this.f.res.end(body);
    this.finish({ kind: 'ok', status: 503 });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.clientGone) return this.finish({ kind: 'aborted', status: this.status, ttftMs: this.ttftMs });
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const timedOut = TIMEOUTS.has(code);
    const res = this.f.res;
    if (!res.headersSent) {
      // nothing reached the client: the gateway may answer, or try another replica
      return this.finish({ kind: timedOut ? 'timeout' : RETRYABLE.has(code) ? 'refused' : 'failed', status: timedOut ? 504 : 502 });
    }
    // the answer has begun: a stream ends with an error event the client's SDK raises, a JSON answer is cut
    if (this.f.streaming) res.end(openAIErrorEvent(this.brokenStream(timedOut, code, err)));
    else res.destroy();
    this.finish({ kind: 'failed', status: this.status, ttftMs: this.ttftMs, cut: true });
  }

  private brokenStream(timedOut: boolean, code: string, err: Error): InferscaleError {
    const id = this.f.replica.id;
    if (timedOut)
      return new InferscaleError('upstream_timeout', `replica ${id} sent nothing for ${Math.round(this.f.idleTimeoutMs / 1000)} s; the stream ends here`);
    const why = RETRYABLE.has(code) ? `its engine went away after ${this.events} events (${code})` : `after ${this.events} events: ${err.message}`;
    return new InferscaleError('upstream_error', `replica ${id}: the stream ended early: ${why}; the answer is incomplete`);
  }

  private finish(r: ForwardResult): void {
    if (this.finished) return;
    this.finished = true;
    this.stall?.cancel();
    this.f.res.off('close', this.onClose);
    this.done(r);
  }
}

/** Counts SSE events ("data:" at a line start) in a chunk, without decoding it. */
function countEvents(chunk: Buffer): number {
  let n = 0;
  let i = chunk.indexOf('data:');
  while (i >= 0) {
    if (i === 0 || chunk[i - 1] === 10) n++;
    i = chunk.indexOf('data:', i + 5);
  }
  return n;
}
