import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { ReplicaRoute } from './routes.js';

export type ForwardResult = {
  /** ok: answered; refused: no byte sent, safe to retry elsewhere; aborted: client left; failed: broke mid-response */
  kind: 'ok' | 'refused' | 'aborted' | 'failed';
  status: number;
  ttftMs?: number;
  promptTokens?: number;
  completionTokens?: number;
};

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade', 'te', 'trailer']);
const USAGE_RE = /"prompt_tokens"\s*:\s*(\d+)\s*,\s*"completion_tokens"\s*:\s*(\d+)/;
const MAX_SCAN = 1 << 20;

/**
 * Sends one request to one replica and streams the answer back chunk by chunk, honouring the client's
 * backpressure. Never throws: the outcome says whether a retry elsewhere is safe (nothing was sent yet).
 */
export async function forwardToReplica(a: {
  req: IncomingMessage;
  res: ServerResponse;
  replica: ReplicaRoute;
  path: string;
  body: Buffer;
  streaming: boolean;
  signal: AbortSignal;
  clock: Clock;
  start: number;
}): Promise<ForwardResult> {
  const { res, clock } = a;
  let upstream;
  try {
    upstream = await a.replica.pool.request({
      path: a.path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(a.body.length), accept: a.streaming ? 'text/event-stream' : 'application/json' },
      body: a.body,
      signal: a.signal,
    });
  } catch (e) {
    if (a.signal.aborted) return { kind: 'aborted', status: 0 };
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return { kind: RETRYABLE.has(code) ? 'refused' : 'failed', status: 502 };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  if (a.streaming) headers['x-accel-buffering'] = 'no';
  res.writeHead(upstream.statusCode, headers);
  if (a.streaming) res.flushHeaders();
  let ttftMs: number | undefined;
  let events = 0;
  let tail = '';
  let scanned = 0;
  const scan: Buffer[] = [];
  try {
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      if (ttftMs === undefined && a.streaming) ttftMs = clock.now() - a.start;
      if (a.streaming) {
        events += countEvents(chunk);
        tail = (tail + chunk.toString('latin1')).slice(-512);
      } else if (scanned < MAX_SCAN) {
        scan.push(chunk);
        scanned += chunk.length;
      }
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
      if (res.destroyed) break;
    }
  } catch {
    if (a.signal.aborted || res.destroyed) return { kind: 'aborted', status: upstream.statusCode, ttftMs };
    res.destroy();
    return { kind: 'failed', status: upstream.statusCode, ttftMs };
  }
  if (res.destroyed) return { kind: 'aborted', status: upstream.statusCode, ttftMs };
  res.end();
  const text = a.streaming ? tail : Buffer.concat(scan).toString('utf8');
  const m = USAGE_RE.exec(text);
  const promptTokens = m ? Number(m[1]) : undefined;
  const completionTokens = m ? Number(m[2]) : a.streaming ? Math.max(0, events - 2) : undefined;
  return { kind: 'ok', status: upstream.statusCode, ttftMs, promptTokens, completionTokens };
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
