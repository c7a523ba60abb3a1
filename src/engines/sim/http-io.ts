/** Small node:http helpers for the simulator: read a bounded body, send JSON, send OpenAI errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenAIError } from './openai-requests.js';

/** Largest request body accepted, bytes. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Reads the whole body as UTF-8. Rejects with a 413 OpenAIError past `limit`, or if the client goes away. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        fail(new OpenAIError(413, `request body larger than ${limit} bytes`, 'invalid_request_error', 'payload_too_large', 'body'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', fail);
    req.on('close', () => fail(new Error('client closed the connection while sending the body')));
  });
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends an OpenAI-shaped error; anything that is not an OpenAIError becomes a 500. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof OpenAIError ? err : new OpenAIError(500, err instanceof Error ? err.message : String(err), 'server_error', 'internal_error');
  const headers: Record<string, string> = {};
  if (e.status === 413) headers.Connection = 'close';
  if (e.status === 503) headers['Retry-After'] = '1';
  sendJson(res, e.status, JSON.stringify(e.toJSON()), headers);
}
