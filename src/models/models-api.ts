/** REST routes of the model store under /api/v1/models, mounted through ApiDeps.extend. */
import type { Hono } from 'hono';
import { jsonBody } from '../api/app.js';
import type { ModelService } from './service.js';

export function mountModelRoutes(app: Hono, models: ModelService): void {
  app.get('/models', (c) => c.json({ models: models.list() }));
  app.post('/models', async (c) => c.json(await models.create(await jsonBody(c)), 201));
  app.get('/models/:name', (c) => c.json(models.view(c.req.param('name'))));
  app.delete('/models/:name', async (c) => {
    await models.delete(c.req.param('name'));
    return c.json({ deleted: c.req.param('name') });
  });
}
