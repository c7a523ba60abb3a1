/**
 * The per-replica engine key: a replica's engine answers inference requests only with
 * `Authorization: Bearer <key>`, which only the gateway holds, so nothing on the machine (or network)
 * reaches a replica's port around the gateway's API keys, limits and metering. The key is derived from the
 * server's secret and the replica id (a restarted server sends the same key to the replicas it adopts).
 * `/health` and `/metrics` stay open (probes, scrapers).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OpenAIError } from './sim/openai-requests.js';

/** the environment variable that carries the key to the built-in engines (sim, llamacpp) and `command` ones */
export const ENGINE_KEY_ENV = 'INFERSCALE_ENGINE_KEY';
/** vLLM's own variable for its --api-key (kept off the command line, where `ps` would show it) */
export const VLLM_KEY_ENV = 'VLLM_API_KEY';

const OPEN_PATHS = new Set(['/health', '/metrics']);

/** A check for an engine's request handler: throws 401 unless the request carries `key` (no key: all pass). */
export function engineKeyCheck(key: string | undefined): (req: IncomingMessage, path: string) => void {
  if (!key) return () => undefined;
  const want = createHash('sha256').update(key).digest();
  return (req, path) => {
    if (OPEN_PATHS.has(path)) return;
    const h = req.headers.authorization;
    const given = h?.startsWith('Bearer ') ? h.slice(7).trim() : '';
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), want)) {
      throw new OpenAIError(
        401,
        'this engine takes requests from the inferscale gateway only: missing or wrong engine key',
        'invalid_request_error',
        'invalid_api_key',
      );
    }
  };
}
