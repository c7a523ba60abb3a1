/**
 * The one HTTP entry of the server: the OpenAI gateway first (the hot path), then the REST API (passed to
 * the leader on an HA follower), /metrics, /healthz and the dashboard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Gateway } from '../gateway/gateway.js';
import type { GatewayMetrics } from '../gateway/metrics.js';
import type { Observability } from '../dashboard/mount.js';
import type { ClusterMember } from '../cluster/member.js';
import { proxyToLeader } from '../cluster/proxy.js';
import { sendRestError } from '../api/rest-error.js';
import { InferscaleError } from '../core/errors.js';
import type { StorageView } from '../store/storage-status.js';

export interface HandlerDeps {
  gateway: Gateway;
  api: (req: IncomingMessage, res: ServerResponse) => unknown;
  metrics: GatewayMetrics;
  observability: Pick<Observability, 'handle'>;
  /** the state of the disk as the periodic writers saw it (/healthz) */
  storage?: () => StorageView;
  /** HA mode: this replica's member (undefined: a single server) */
  member: () => ClusterMember | undefined;
  /** false until the server has started (HA: knows its role and the leader) */
  started: () => boolean;
  /** when set, /metrics answers only `Authorization: Bearer <metricsToken>` */
  metricsToken?: string;
}

/** API paths every replica answers itself, whatever its role. */
const LOCAL_API = ['/api/v1/health', '/api/v1/cluster'];
const isLocalApi = (url: string) => LOCAL_API.some((p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`));

/**
 * The path every route sees: `.` and `..` segments and repeated slashes resolved, so `/api/v1/health/../x`
 * is routed as `/api/v1/x` everywhere (a follower would otherwise answer it as a local path). Encoded dots,
 * slashes and backslashes in the path are refused: undefined.
 */
export function normalisePath(url: string): string | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('/.') && !path.includes('//') && !path.includes('%')) return url;
  if (/%(2e|2f|5c)/i.test(path)) return undefined;
  if (!path.includes('/.') && !path.includes('//')) return url;
  return posix.normalize(path.startsWith('/') ? path : `/${path}`) + (q < 0 ? '' : url.slice(q));
}

export function createHandler(d: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const normal = normalisePath(req.url ?? '/');
    if (normal === undefined)
      return sendRestError(res, new InferscaleError('invalid_argument', 'path: encoded dots, slashes and backslashes are not accepted', { field: 'path' }));
    req.url = normal;
    if (d.gateway.handle(req, res)) return;
    const url = normal;
    if (url.startsWith('/api/')) {
      const member = d.member();
      if (member && member.currentRole !== 'leader' && !isLocalApi(url)) {
        const role = member.currentRole;
        void (async () => {
          const leader = role === 'follower' ? await member.verifiedLeaderUrl() : undefined;
          const why =
            role === 'becoming-leader'
              ? 'this replica is taking over as leader'
              : role === 'stopped'
                ? 'this replica stopped leading'
                : member.leaderUrl() && !leader
                  ? `the Lease names ${member.leaderUrl()}, not shown to be a server pod's`
                  : undefined;
          await proxyToLeader(req, res, leader, why);
        })();
        return;
      }
      void d.api(req, res);
      return;
    }
    if (url === '/metrics') {
      if (d.metricsToken && !bearerIs(req.headers.authorization, d.metricsToken)) {
        return sendRestError(
          res,
          new InferscaleError('unauthorized', '/metrics: send "Authorization: Bearer <the metrics token>" (server flag --metrics-token)'),
        );
      }
      void d.metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': d.metrics.registry.contentType });
        res.end(text);
      });
      return;
    }
    if (url === '/healthz') {
      // not ready until started: in HA mode, until this replica knows its role and the leader (readiness probe).
      // A full disk degrades (nothing is recorded) but the server still serves: 200, said in the body.
      const ok = d.started();
      const storage = d.storage?.();
      const body = !ok ? { status: 'starting' } : storage?.full ? { status: 'degraded', storage } : { status: 'ok' };
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    if (d.observability.handle(req, res)) return;
    sendRestError(res, new InferscaleError('not_found', `nothing at ${url}; the API is under /api/v1, deployments under /d/NAME/v1`));
  };
}

function bearerIs(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
