import { Hono, type Context } from 'hono';
import { gpuReport } from '../placement/holds.js';
import { timingSafeEqual } from 'node:crypto';
import { InferscaleError, restError, toInferscaleError } from '../core/errors.js';
import type { DeploymentService } from '../service/deployments.js';
import { replicaView } from '../service/views.js';
import { parseDuration } from '../autoscaler/units.js';
import type { Store } from '../store/store.js';
import type { GpuDevice } from '../placement/inventory.js';
import type { AutoscalerLoop } from '../controller/autoscaler-loop.js';

/** answered without a token */
const OPEN_PATHS = new Set(['/api/v1/health', '/api/v1/openapi.json']);

/** Mounts one module's REST routes on the API. */
export type MountRoutes = (app: Hono) => void;

export interface ApiDeps {
  deployments: DeploymentService;
  store: Store;
  adminToken: string;
  /** opens /api/v1/internal/* only (the servers' calls to each other), which the admin token does not */
  internalToken?: string;
  inventory: readonly GpuDevice[];
  autoscaler?: AutoscalerLoop;
  /** the other modules' routes (models, zones, history, cost, cluster, ...), each mounting its own: the server lists them all in one place */
  routes?: readonly MountRoutes[];
  /** awaited after every successful change through the API, before it answers (HA: write the state to the cluster) */
  afterWrite?: () => Promise<void>;
}

/** The one error boundary of the REST API: InferscaleError -> status + {"error":{code,message,field}}. */
export function errorResponse(c: Context, e: unknown): Response {
  const err = toInferscaleError(e);
  if (err.code === 'internal') console.error(e);
  const r = restError(err);
  return c.json(r.body, r.status as 400, r.headers);
}

function tokenOk(presented: string | undefined, token: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The request's JSON body ({} when empty); a body that is not JSON is an invalid_argument. */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new InferscaleError('invalid_argument', 'body: not valid JSON', { field: 'body' });
  }
}

export function createApi(deps: ApiDeps): Hono {
  const { deployments: svc } = deps;
  const app = new Hono().basePath('/api/v1');
  app.onError((e, c) => errorResponse(c, e));
  app.notFound((c) => errorResponse(c, new InferscaleError('not_found', `no API route ${c.req.method} ${c.req.path}`)));
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // the API's description (openapi.ts): open like /health, it holds no data, and tools fetch it without a token;
  // loaded on first use (zod-openapi is not needed to serve)
  app.get('/openapi.json', async (c) => c.body((await import('./openapi.js')).openApiJson(), 200, { 'content-type': 'application/json' }));
  app.use('*', async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const h = c.req.header('authorization');
    const presented = h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
    if (c.req.path.startsWith('/api/v1/internal/')) {
      if (!deps.internalToken || !tokenOk(presented, deps.internalToken))
        throw new InferscaleError('unauthorized', "internal API: for the servers' own calls (their internal credential) only");
      return next();
    }
    if (!tokenOk(presented, deps.adminToken))
      throw new InferscaleError(
        'unauthorized',
        'admin token missing or wrong: set INFERSCALE_TOKEN or run on the server machine (the CLI reads it from the data dir)',
      );
    return next();
  });
  const { afterWrite } = deps;
  if (afterWrite) {
    app.use('*', async (c, next) => {
      await next();
      if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.res.status >= 400 || c.req.path.startsWith('/api/v1/internal/')) return;
      // the cluster is the state of record: a change it did not take is not reported as done
      try {
        await afterWrite();
      } catch (e) {
        c.res = errorResponse(
          c,
          new InferscaleError(
            'cluster_write_failed',
            `${c.req.method} ${c.req.path} was applied by the leader but writing it to the cluster failed (retried every few seconds; check the state before repeating the call): ${(e as Error).message}`,
            { retryAfterSeconds: 5 },
          ),
        );
      }
    });
  }

  app.get('/deployments', (c) => c.json({ deployments: svc.list().map((d) => svc.view(d)) }));
  app.post('/deployments', async (c) => c.json(svc.create(await jsonBody(c)), 201));
  app.get('/deployments/:name', (c) => {
    const d = svc.get(c.req.param('name'));
    return c.json({ ...svc.view(d), autoscaler: d.autoscale && deps.autoscaler ? deps.autoscaler.status(d.id) : null });
  });
  app.put('/deployments/:name/autoscale', async (c) => c.json(svc.setAutoscale(c.req.param('name'), await jsonBody(c))));
  app.delete('/deployments/:name/autoscale', (c) => c.json(svc.disableAutoscale(c.req.param('name'))));
  app.patch('/deployments/:name', async (c) => c.json(svc.update(c.req.param('name'), await jsonBody(c))));
  app.delete('/deployments/:name', (c) => {
    svc.delete(c.req.param('name'));
    return c.json({ deleted: c.req.param('name') }, 202);
  });
  app.post('/deployments/:name/scale', async (c) => c.json(svc.scale(c.req.param('name'), await jsonBody(c))));
  app.get('/deployments/:name/logs', async (c) => {
    const tail = c.req.query('tail') === undefined ? 100 : Number(c.req.query('tail'));
    const since = c.req.query('since');
    const sinceMs = since === undefined ? undefined : parseDuration(since, 'since');
    return c.json({ lines: await svc.logs(c.req.param('name'), tail, { replica: c.req.query('replica'), sinceMs }) });
  });
  app.get('/deployments/:name/replicas', (c) => {
    const d = svc.get(c.req.param('name'));
    return c.json({ replicas: deps.store.listReplicas(d.id).map(replicaView) });
  });
  app.get('/deployments/:name/events', (c) => {
    const d = svc.get(c.req.param('name'));
    const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 100) || 100));
    const kind = c.req.query('kind');
    return c.json({ events: deps.store.listEvents(d.id, { limit, kind }).map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
  });
  app.post('/deployments/:name/reveal-api-key', (c) => c.json({ name: c.req.param('name'), apiKey: svc.revealKey(c.req.param('name')) }));
  app.post('/deployments/:name/rotate-api-key', async (c) => {
    const r = svc.rotateKey(c.req.param('name'), await jsonBody(c));
    return c.json({
      name: c.req.param('name'),
      apiKey: r.apiKey,
      previousKeyValidUntil: r.previousKeyValidUntil === null ? null : new Date(r.previousKeyValidUntil).toISOString(),
    });
  });

  app.get('/limits/gpu', (c) => c.json({ limits: svc.gpuLimits() }));
  app.put('/limits/gpu/:type', async (c) => {
    const body = (await jsonBody(c)) as { max?: unknown } | null;
    if (!body || typeof body !== 'object') throw new InferscaleError('invalid_argument', 'body: must be a JSON object like {"max": 8}', { field: 'body' });
    if (body.max !== null && typeof body.max !== 'number')
      throw new InferscaleError('invalid_argument', 'max: must be a number (or null to remove the quota)', { field: 'max' });
    return c.json({ limits: svc.setGpuQuota(c.req.param('type'), body.max as number | null) });
  });
  app.get('/gpus', (c) => c.json({ gpus: gpuReport(deps.inventory, deps.store) }));
  for (const mount of deps.routes ?? []) mount(app);
  return app;
}
