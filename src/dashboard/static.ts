/**
 * Serves the web dashboard: `/` is web/index.html, `/ui/FILE` a file of web/ (repo root, next to dist/),
 * `/ui/vendor/uplot.{js,css}` uPlot from node_modules (no CDN). The pages hold no data and no secret:
 * everything they show comes from /api/v1 with the admin token the user typed, kept in sessionStorage.
 */
import { InferscaleError, restError } from '../core/errors.js';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
const VENDOR: Record<string, string> = {
  'uplot.js': join(UPLOT_DIR, 'uPlot.iife.min.js'),
  'uplot.css': join(UPLOT_DIR, 'uPlot.min.css'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

/** The file a dashboard URL names, or undefined when the URL is not the dashboard's. */
export function dashboardFile(url: string): string | undefined {
  const path = url.split('?')[0];
  if (path === '/' || path === '/index.html' || path === '/ui' || path === '/ui/') return join(WEB_DIR, 'index.html');
  if (!path.startsWith('/ui/')) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice(4));
  } catch {
    return undefined;
  }
  if (rel.startsWith('vendor/')) return VENDOR[rel.slice(7)];
  const file = normalize(join(WEB_DIR, rel));
  if (!file.startsWith(WEB_DIR) || file.includes(`${sep}.`) || !TYPES[extname(file)]) return undefined;
  return file;
}

/** Answers a dashboard request; returns false (touching nothing) for any other URL. */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  if (path !== '/' && path !== '/index.html' && path !== '/ui' && !path.startsWith('/ui/')) return false;
  const send = (status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  // errors as the API answers them: JSON with a stable code
  const fail = (e: InferscaleError) => send(e.status, 'application/json', JSON.stringify(restError(e).body));
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    fail(new InferscaleError('method_not_allowed', `${req.method} not allowed on the dashboard (GET, HEAD)`));
    return true;
  }
  const missing = () => fail(new InferscaleError('not_found', `no dashboard file at ${path}`));
  const file = dashboardFile(url);
  if (!file) {
    missing();
    return true;
  }
  readFile(file).then((body) => send(200, TYPES[extname(file)] ?? 'application/octet-stream', body), missing);
  return true;
}
