import { createServer, type RequestListener, type Server } from 'node:http';
import { InferscaleError } from '../core/errors.js';
import { limitsWithDefaults } from '../core/limits.js';

/**
 * How long a client may take to send a request, and how many connections the server keeps. These bound
 * receiving a request only: a response (a stream of tokens) is bounded by the gateway's own timeouts
 * (queue timeout, upstream timeouts), never cut by these. docs/reliability.md says why each default is what it is.
 */
export interface HttpLimits {
  /** the request line and headers must arrive within this (a slow-headers client is answered 408 and closed) */
  headersTimeoutMs: number;
  /** the whole request, headers and body, must arrive within this */
  requestTimeoutMs: number;
  /** a kept-alive connection with no request in progress is closed after this */
  keepAliveTimeoutMs: number;
  /** how often the two timeouts above are checked (their precision) */
  checkIntervalMs: number;
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 65_000,
  checkIntervalMs: 1_000,
  maxConnections: 20_000,
};

/** The limits given over the defaults, checked (call before anything starts). */
export function httpLimits(given?: Partial<HttpLimits>): HttpLimits {
  const l = limitsWithDefaults('http', DEFAULT_HTTP_LIMITS, given);
  if (l.headersTimeoutMs > l.requestTimeoutMs) {
    throw new InferscaleError('invalid_argument', `http.headersTimeoutMs (${l.headersTimeoutMs}) must not exceed http.requestTimeoutMs (${l.requestTimeoutMs})`, { field: 'http.headersTimeoutMs' });
  }
  return l;
}

/** An HTTP server with these limits. */
export function createLimitedServer(handler: RequestListener, l: HttpLimits): Server {
  const server = createServer(
    { headersTimeout: l.headersTimeoutMs, requestTimeout: l.requestTimeoutMs, keepAliveTimeout: l.keepAliveTimeoutMs, connectionsCheckingInterval: l.checkIntervalMs },
    handler,
  );
  server.maxConnections = l.maxConnections;
  return server;
}
