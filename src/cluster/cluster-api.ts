/**
 * The API of HA mode: `GET /api/v1/cluster` (who leads, this replica's role, the follower gateways that
 * report; a single server answers role "single") and `POST /api/v1/internal/gateway-signals` (a follower's
 * load report, admin token required; the leader answers with the next rows of the follower's history copy).
 */
import type { Hono } from 'hono';
import { jsonBody } from '../api/app.js';
import { parseInput } from '../domain/validation.js';
import type { ClusterMember } from './member.js';
import { gatewayReportSchema } from './signals.js';

export interface ClusterView {
  identity: string;
  role: 'single' | ClusterMember['currentRole'];
  leader: string | null;
  /** follower gateways that reported lately; copyRowsLeft: rows of the leader's history it has yet to copy (null: none asked) */
  gateways: { gateway: string; ageMs: number; copyRowsLeft: number | null }[];
}

/** `member` is read per request (the routes are mounted before it exists); undefined: a single server at `self`. */
export function mountClusterRoutes(
  app: Hono,
  member: () => ClusterMember | undefined,
  wake: (deploymentId: string) => void,
  self: () => { identity: string; url: string },
): void {
  app.get('/cluster', (c) => {
    const m = member();
    const view: ClusterView = m
      ? { identity: m.identity, role: m.currentRole, leader: m.leaderUrl() ?? null, gateways: m.signals.gateways() }
      : { identity: self().identity, role: 'single', leader: self().url, gateways: [] };
    return c.json(view);
  });
  app.post('/internal/gateway-signals', async (c) => {
    const report = parseInput(gatewayReportSchema, await jsonBody(c));
    const m = member();
    if (m) for (const id of m.signals.receive(report)) wake(id);
    return c.json({ ok: true, copy: report.copy && m?.serveCopy(report.gateway, report.copy) });
  });
}
