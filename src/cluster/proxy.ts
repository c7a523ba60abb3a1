/**
 * On a replica that does not lead, the REST API (and so the CLI and the dashboard's data) is served by
 * the leader: requests are passed through as they are (method, path, headers, streamed body) and the
 * leader's answer comes back unchanged. One writer of the state, whichever replica a client reaches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { InferscaleError } from '../core/errors.js';
import { sendRestError } from '../api/rest-error.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

function noLeader(res: ServerResponse, why: string): void {
  sendRestError(res, new InferscaleError('no_leader', `no inferscale replica leads right now (${why}); retry in a few seconds`, { retryAfterSeconds: 2 }));
}

/** `leader` undefined: `why` says why there is none to pass the request to. */
export async function proxyToLeader(
  req: IncomingMessage,
  res: ServerResponse,
  leader: string | undefined,
  why = 'the election has no holder yet',
): Promise<void> {
  if (!leader) return noLeader(res, why);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  let upstream;
  try {
    upstream = await request(`${leader}${req.url ?? '/'}`, {
      method: req.method as 'GET',
      headers,
      body: hasBody ? req : undefined,
      headersTimeout: 30_000,
      bodyTimeout: 0,
    });
  } catch (e) {
    return noLeader(res, `the leader at ${leader} is unreachable: ${(e as Error).message}`);
  }
  const out: Record<string, string | string[]> = { 'x-inferscale-served-by': leader };
  for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  res.writeHead(upstream.statusCode, out);
  await pipeline(upstream.body, res).catch(() => res.destroy());
}
