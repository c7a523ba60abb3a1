import type { Hono } from 'hono';
import type { Clock } from '../core/clock.js';
import { parseDuration } from '../autoscaler/units.js';
import type { RequestLog } from '../gateway/request-log.js';
import type { DeploymentService } from '../service/deployments.js';

/**
 * `GET /api/v1/deployments/:name/request-log?since=7d`: the deployment's recorded requests (no content),
 * as compact columns, for `inferscale simulate --deployment NAME`.
 */
export function mountRequestLogRoutes(app: Hono, deps: { requestLog: RequestLog; deployments: DeploymentService; clock: Clock }): void {
  app.get('/deployments/:name/request-log', (c) => {
    const d = deps.deployments.get(c.req.param('name'));
    const since = deps.clock.now() - parseDuration(c.req.query('since') ?? '7d', 'since');
    const rows = deps.requestLog.rows(d.id, since);
    return c.json({
      deployment: d.name,
      since: new Date(since).toISOString(),
      columns: ['at', 'promptTokens', 'completionTokens', 'ttftMs', 'status'],
      rows: rows.map((r) => [r.at, r.promptTokens, r.completionTokens, r.ttftMs, r.status]),
    });
  });
}
