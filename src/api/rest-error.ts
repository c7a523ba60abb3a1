/** REST API errors answered outside the Hono app (the server's 404, a follower's no_leader). */
import type { ServerResponse } from 'node:http';
import { restError, type InferscaleError } from '../core/errors.js';

/** Answers a REST API error outside the Hono app (same body and headers as src/api/app.ts). */
export function sendRestError(res: ServerResponse, err: InferscaleError): void {
  if (res.headersSent) return void res.destroy();
  const r = restError(err);
  res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
  res.end(JSON.stringify(r.body));
}
