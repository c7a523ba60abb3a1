import type { IncomingMessage, ServerResponse } from 'node:http';
import { InferscaleError } from '../core/errors.js';

/**
 * The bytes of request bodies the gateway holds in memory at once, all requests together: a body is
 * held from its first byte until its response closes (it is kept for a retry on another replica).
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** bytes held now */
  get held(): number {
    return this.used;
  }

  tryTake(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

/**
 * Reads a request body of at most `maxBytes` into memory, charging it to `budget` until `res` closes.
 * A declared Content-Length is charged before the first byte is read, so a body that cannot fit is
 * refused (payload_too_large, or server_busy while others hold the budget) without being read; a chunked
 * body is charged as it arrives. A refused body is not read to its end: the caller's error answer closes
 * the connection.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, budget: BodyBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let held = 0;
    res.once('close', () => {
      budget.give(held);
      held = 0;
    });
    const take = (n: number): boolean => {
      if (!budget.tryTake(n)) return false;
      held += n;
      return true;
    };
    const busy = () =>
      new InferscaleError('server_busy', `the gateway holds its limit of ${budget.limit} bytes of request bodies; retry shortly`, { retryAfterSeconds: 1 });
    const tooLarge = (size: number | undefined) =>
      new InferscaleError('payload_too_large', `request body${size === undefined ? '' : ` of ${size} bytes`} is above the limit of ${maxBytes} bytes`);
    // Node's parser refuses a malformed Content-Length (400) before we are called; a chunked body has none
    const length = Number(req.headers['content-length']);
    const declared = req.headers['content-length'] !== undefined && Number.isSafeInteger(length) ? length : undefined;
    if (declared !== undefined && declared > maxBytes) return reject(tooLarge(declared));
    if (declared !== undefined && !take(declared)) return reject(busy());
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err: InferscaleError) => {
      req.off('data', onData);
      req.pause();
      chunks.length = 0;
      reject(err);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) return stop(tooLarge(undefined));
      // Node's parser keeps a body to its Content-Length: only a chunked one is charged as it comes
      if (declared === undefined && !take(c.length)) return stop(busy());
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
