/** The gateway's request ids: `x-request-id` on every answer, in the request log, and on the replica's request. */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
/** a client's id longer than this is not taken (a log column, a header to the replica: bounded) */
export const REQUEST_ID_MAX_LENGTH = 128;
/** what a client's id may hold: the characters of UUIDs, ULIDs, trace ids and the like; no spaces or quotes */
const REQUEST_ID_RE = /^[A-Za-z0-9._:@/+=-]+$/;

/**
 * The id of one gateway request: the client's `x-request-id` when it is a single value of at most
 * REQUEST_ID_MAX_LENGTH safe characters, else a fresh UUID (`generate`, injected for tests).
 */
export function requestIdFrom(header: string | string[] | undefined, generate: () => string = randomUUID): string {
  const v = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  const trimmed = v?.trim();
  if (trimmed && trimmed.length <= REQUEST_ID_MAX_LENGTH && REQUEST_ID_RE.test(trimmed)) return trimmed;
  return generate();
}
