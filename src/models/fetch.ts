/**
 * Openers: each opens a model source at a byte offset and says where the bytes it returns really
 * start (0 when an HTTP server ignored the Range header) and how long the whole file is.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface OpenedSource {
  /** offset of the first byte of `body` in the file */
  start: number;
  /** size of the whole file, when known */
  total?: number;
  body: AsyncIterable<Uint8Array>;
}

export type SourceOpener = (offset: number, signal: AbortSignal) => Promise<OpenedSource>;

/** A download failure. `retryable` ones are tried again (resuming); `restart` drops the partial file first. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly reason: 'network' | 'http' | 'checksum' | 'restart' | 'io' | 'too_large' | 'no_space' = 'network',
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export function fileOpener(path: string): SourceOpener {
  return async (offset, signal) => {
    let size: number;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new DownloadError(`${path} is not a regular file`, false, 'io');
      size = st.size;
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, false, 'io');
    }
    const start = offset <= size ? offset : 0;
    return { start, total: size, body: createReadStream(path, { start, highWaterMark: 1 << 20, signal }) };
  };
}

function describeStatus(url: string, status: number): string {
  const host = new URL(url).host;
  if (status === 401 || status === 403)
    return `HTTP ${status} from ${host}: missing or insufficient credentials (gated or private model? pass --hf-token or set HF_TOKEN)`;
  if (status === 404) return `HTTP 404 from ${host}: no such file (${url})`;
  return `HTTP ${status} from ${host}`;
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * GET following up to 5 redirects itself, so that `authorization` goes to the origin it was meant for only:
 * the Hub answers an LFS file with a redirect to its CDN, another host, which gets no token.
 */
export async function fetchFollowing(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  const origin = new URL(url).origin;
  let at = url;
  for (let hop = 0; ; hop++) {
    const h = new URL(at).origin === origin ? headers : Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    const res = await fetch(at, { headers: h, signal, redirect: 'manual' });
    const next = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !next || hop >= 5) return res;
    await res.body?.cancel();
    at = new URL(next, at).href;
  }
}

/** HTTP(S) with resume: asks for `bytes=offset-` and accepts a 206 (resumed) or a 200 (start again). */
export function httpOpener(url: string, headers: Record<string, string> = {}): SourceOpener {
  return async (offset, signal) => {
    const h: Record<string, string> = { 'accept-encoding': 'identity', ...headers };
    if (offset > 0) h.range = `bytes=${offset}-`;
    let res: Response;
    try {
      res = await fetchFollowing(url, h, signal);
    } catch (e) {
      if (signal.aborted) throw e;
      throw new DownloadError(`cannot reach ${new URL(url).host}: ${String((e as Error).cause ?? (e as Error).message)}`, true);
    }
    if (res.status === 416) {
      await res.body?.cancel();
      throw new DownloadError('the server refused the resume range: starting again', true, 'restart');
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new DownloadError(describeStatus(url, res.status), RETRY_STATUS.has(res.status), 'http');
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m) {
        await res.body.cancel();
        throw new DownloadError('206 response without a usable Content-Range: starting again', true, 'restart');
      }
      return { start: Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]), body: res.body as unknown as AsyncIterable<Uint8Array> };
    }
    const len = res.headers.get('content-length');
    return { start: 0, total: len !== null && /^\d+$/.test(len) ? Number(len) : undefined, body: res.body as unknown as AsyncIterable<Uint8Array> };
  };
}
