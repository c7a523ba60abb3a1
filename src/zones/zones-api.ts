/** REST routes of zones, mounted through ApiDeps.routes: GET /zones, GET /deployments/:name/export. */
import type { Hono } from 'hono';
import { invalid } from '../core/errors.js';
import type { DeploymentService } from '../service/deployments.js';
import type { ZoneRegistry } from './registry.js';
import type { DeploymentRow } from '../store/store.js';
import type { PodModel } from '../models/pod-fetch.js';

export function mountZoneRoutes(app: Hono, zones: ZoneRegistry, deployments: DeploymentService, podModel: (d: DeploymentRow) => PodModel | undefined): void {
  app.get('/zones', async (c) => c.json({ zones: await zones.list() }));
  app.get('/deployments/:name/export', async (c) => {
    // the export pulls in the Kubernetes client and schemas: loaded on first use, not at server start
    const { exportObjects, exportZone, toYaml } = await import('./export.js');
    const format = c.req.query('format') ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw invalid('format', 'must be yaml or json');
    const d = deployments.get(c.req.param('name'));
    const objs = exportObjects(d, exportZone(zones, d, c.req.query('zone')), podModel(d), deployments.capacity.get(d.id));
    if (format === 'json') return c.json({ apiVersion: 'v1', kind: 'List', items: objs });
    return c.text(toYaml(objs), 200, { 'content-type': 'application/yaml; charset=utf-8' });
  });
}
