/**
 * A local HTTP origin for model-store tests: serves byte buffers at paths, optionally requires a bearer
 * token, can drop the connection mid-body, stall, or ignore Range; records every request it saw.
 */
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An `OriginFile.dropWhen` that waits until the download's partial file `dest.partial` holds the bytes sent. */
export function whenWritten(dest: string): (sentUpTo: number) => Promise<unknown> {
  const size = () => {
    try {
      return statSync(`${dest}.partial`).size;
    } catch {
      return 0;
    }
  };
  return async (sentUpTo) => {
    for (const deadline = Date.now() + 5000; size() < sentUpTo && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
  };
}

export interface OriginFile {
  data: Buffer;
  token?: string;
  /** first N requests send half the body, then destroy the socket */
  dropFirst?: number;
  /**
   * before such a drop, wait for this (given the bytes of the file sent so far), e.g. until the client wrote
   * them: Node 22 and later's fetch discards body chunks still queued when the connection fails, so a drop
   * at once after the write can take back everything that was sent
   */
  dropWhen?: (sentUpTo: number) => Promise<unknown>;
  /** first N requests send half the body, then hang until the origin closes */
  stallFirst?: number;
  /** answer Range requests with the whole file (200) */
  ignoreRange?: boolean;
}

export interface Origin {
  url: string;
  files: Map<string, OriginFile>;
  seen: { path: string; range?: string; auth?: string }[];
  close(): Promise<void>;
}

export async function startOrigin(): Promise<Origin> {
  const files = new Map<string, OriginFile>();
  const seen: Origin['seen'] = [];
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    seen.push({ path, range: req.headers.range, auth: req.headers.authorization });
    const f = files.get(path);
    if (!f) return void res.writeHead(404).end('not found');
    if (f.token && req.headers.authorization !== `Bearer ${f.token}`) return void res.writeHead(401).end('unauthorized');
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && !f.ignoreRange ? Number(m[1]) : 0;
    if (start >= f.data.length && start > 0) return void res.writeHead(416).end();
    const body = f.data.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(start > 0 ? { 'content-range': `bytes ${start}-${f.data.length - 1}/${f.data.length}` } : {}),
    });
    const half = body.subarray(0, Math.floor(body.length / 2));
    if (n <= (f.dropFirst ?? 0))
      return void res.write(half, () => {
        const drop = () => res.destroy();
        f.dropWhen ? void f.dropWhen(start + half.length).then(drop, drop) : drop();
      });
    if (n <= (f.stallFirst ?? 0)) {
      hanging.add(res);
      return void res.write(half);
    }
    res.end(body);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    seen,
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
