/**
 * The API of HA mode: `GET /api/v1/cluster` (who leads, this replica's role, the follower gateways that
 * report) and `POST /api/v1/internal/gateway-signals` (a follower's load report, admin token required).
 */
import type { Hono } from 'hono';
import { jsonBody } from '../api/app.js';
import { parseInput } from '../domain/validation.js';
import type { ClusterMember } from './member.js';
import { gatewayReportSchema } from './signals.js';

/** `member` is read per request: the routes are mounted before the member exists. */
export function mountClusterRoutes(app: Hono, member: () => ClusterMember, wake: (deploymentId: string) => void): void {
  app.get('/cluster', (c) => {
    const m = member();
    return c.json({ identity: m.identity, role: m.currentRole, leader: m.leaderUrl() ?? null, gateways: m.signals.gateways() });
  });
  app.post('/internal/gateway-signals', async (c) => {
    const report = parseInput(gatewayReportSchema, await jsonBody(c));
    for (const id of member().signals.receive(report)) wake(id);
    return c.json({ ok: true });
  });
}
