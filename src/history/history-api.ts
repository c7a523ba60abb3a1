/**
 * History API, mounted through `ApiDeps.extend`:
 *   GET /api/v1/deployments/:name/metrics?since=15m
 * answers { deployment, resolutionMs, since, latest, columns: { at: [...ms], requestRate: [...], ... } }:
 * columns (one array per figure) because the dashboard polls it every 2 s and feeds uPlot with arrays.
 */
import type { Hono } from 'hono';
import type { Clock } from '../core/clock.js';
import { invalid, notFound } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { parseSince } from '../cost/meter.js';
import type { HistoryStore } from './store.js';
import type { HistoryPoint } from './bucket.js';

export const POINT_FIELDS = [
  'at',
  'requestRate',
  'ongoing',
  'queued',
  'ttftP50Ms',
  'ttftP95Ms',
  'tokensPerSecond',
  'desired',
  'ready',
  'starting',
  'gpus',
] as const;

export function columns(points: readonly HistoryPoint[]): Record<(typeof POINT_FIELDS)[number], (number | null)[]> {
  const out = Object.fromEntries(POINT_FIELDS.map((f) => [f, [] as (number | null)[]])) as Record<(typeof POINT_FIELDS)[number], (number | null)[]>;
  for (const p of points) for (const f of POINT_FIELDS) out[f].push(p[f]);
  return out;
}

export function historyRoutes(app: Hono, deps: { history: HistoryStore; store: Pick<Store, 'getDeploymentByName'>; clock: Clock }): void {
  app.get('/deployments/:name/metrics', (c) => {
    const name = c.req.param('name');
    const d = deps.store.getDeploymentByName(name);
    if (!d || d.deleting) throw notFound('deployment', name);
    const now = deps.clock.now();
    const raw = c.req.query('since') ?? '15m';
    const since = parseSince(raw, now);
    if (since === undefined || since > now || since < now - 31 * 86_400_000)
      throw invalid('since', `must be a duration up to 30d (e.g. 15m, 6h, 7d) or a date, got "${raw}"`);
    const s = deps.history.series(d.id, since, now);
    return c.json({
      deployment: name,
      resolutionMs: s.resolutionMs,
      since: new Date(since).toISOString(),
      latest: deps.history.latest(d.id) ?? null,
      columns: columns(s.points),
    });
  });
}
