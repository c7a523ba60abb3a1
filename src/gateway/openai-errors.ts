import type { ServerResponse } from 'node:http';
import type { InferscaleError } from '../core/errors.js';

/** The OpenAI-shaped error body: {"error":{"message","type","code","param"}}. */
function errorBody(err: InferscaleError): string {
  const status = err.status;
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return JSON.stringify({ error: { message: err.message, type, code: err.code, param: err.details.field ?? null } });
}

/** Writes an OpenAI-shaped error answer, with Retry-After when known (a response already begun is cut). */
export function sendOpenAIError(res: ServerResponse, err: InferscaleError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(err);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (err.details.retryAfterSeconds !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(err.details.retryAfterSeconds));
  res.writeHead(err.status, headers);
  res.end(body);
}

/** An error as the last event of a stream already begun (what OpenAI's SDKs raise as an APIError). */
export function openAIErrorEvent(err: InferscaleError): string {
  return `data: ${errorBody(err)}\n\n`;
}
