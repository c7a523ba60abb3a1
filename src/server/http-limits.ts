import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { InferscaleError, restError } from '../core/errors.js';
import type { HttpLimits } from '../domain/limits.js';

/** An HTTP server with these limits. */
export function createLimitedServer(handler: RequestListener, l: HttpLimits): Server {
  const server = createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      connectionsCheckingInterval: l.checkIntervalMs,
    },
    handler,
  );
  server.maxConnections = l.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  // CONNECT is no method of this server (without a listener, Node drops the connection unanswered)
  server.on('connect', (_req, socket: Duplex) => writeRaw(socket, new InferscaleError('method_not_allowed', 'CONNECT is not supported')));
  return server;
}

/**
 * A request the HTTP parser refused (or a client too slow to send one) is answered like every other error,
 * with a JSON body and a stable code, not Node's bare status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // bytes after a request that asked to close the connection: its answer (perhaps still being prepared)
  // ends the connection; the extra bytes are ignored, not answered (Node would destroy the socket and lose it)
  if (err.code === 'HPE_CLOSED_CONNECTION') return;
  // Node's own rule: never write into an answer already begun on this socket
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new InferscaleError('headers_too_large', 'request headers too large (16 KiB at most)')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new InferscaleError('request_timeout', 'the request was not received in time')
        : new InferscaleError('bad_request', `malformed HTTP request (${err.code ?? 'parse error'})`);
  writeRaw(socket, e);
}

function writeRaw(socket: Duplex, e: InferscaleError): void {
  if (!socket.writable) return void socket.destroy();
  const r = restError(e);
  const body = JSON.stringify(r.body);
  socket.end(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
