/**
 * Cost API, mounted through `ApiDeps.extend` (behind the admin token and the API's one error boundary):
 *   GET /api/v1/cost?since=7d&by=label:team   the report
 *   GET /api/v1/cost/prices                   price per GPU-hour of every GPU type
 *   PUT /api/v1/cost/prices/:gpuType          {"usdPerGpuHour": 2.5, "spotUsdPerGpuHour": 1.1} (null removes a price; spot absent: kept)
 */
import type { Hono } from 'hono';
import { InferscaleError } from '../core/errors.js';
import type { CostService } from './service.js';

export function costRoutes(app: Hono, cost: CostService): void {
  app.get('/cost', (c) => c.json(cost.report({ since: c.req.query('since'), by: c.req.query('by') })));
  app.get('/cost/prices', (c) => c.json({ prices: cost.prices() }));
  app.put('/cost/prices/:gpuType', async (c) => {
    let body: { usdPerGpuHour?: unknown; spotUsdPerGpuHour?: unknown };
    try {
      body = JSON.parse((await c.req.text()) || '{}');
    } catch {
      throw new InferscaleError('invalid_argument', 'body: not valid JSON', { field: 'body' });
    }
    if (body.usdPerGpuHour !== null && typeof body.usdPerGpuHour !== 'number') {
      throw new InferscaleError('invalid_argument', 'usdPerGpuHour: must be a number (or null to remove the price)', { field: 'usdPerGpuHour' });
    }
    const spot = body.spotUsdPerGpuHour;
    if (spot !== undefined && spot !== null && typeof spot !== 'number') {
      throw new InferscaleError('invalid_argument', 'spotUsdPerGpuHour: must be a number (or null to remove the spot price)', { field: 'spotUsdPerGpuHour' });
    }
    return c.json({ prices: cost.setPrice(c.req.param('gpuType'), body.usdPerGpuHour, spot) });
  });
}
