import type { ServerResponse } from 'node:http';
import type { InferscaleError } from '../core/errors.js';

/** Writes an OpenAI-shaped error body: {"error":{"message","type","code"}}, with Retry-After when known. */
export function sendOpenAIError(res: ServerResponse, err: InferscaleError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = err.status;
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const body = JSON.stringify({ error: { message: err.message, type, code: err.code, param: err.details.field ?? null } });
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (err.details.retryAfterSeconds !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(err.details.retryAfterSeconds));
  res.writeHead(status, headers);
  res.end(body);
}
