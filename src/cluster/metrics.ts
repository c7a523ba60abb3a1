/**
 * Prometheus metrics of HA mode, in the gateway's registry (so /metrics of every server replica has
 * them), read at scrape time:
 *   inferscale_ha_leader                          1 on the replica that leads, else 0
 *   inferscale_ha_became_leader_total             times this replica took over
 *   inferscale_ha_follower_gateways               (leader) follower gateways that reported in the last 5 s
 *   inferscale_ha_history_copy_rows_left{gateway} (leader) rows each follower still has to copy
 *   inferscale_ha_signal_report_failures_total    (follower) reports the leader did not answer
 * Alert on `sum(inferscale_ha_leader) == 0` (nobody leads) and on `> 1` (should never happen).
 */
import client from 'prom-client';

export interface ClusterMetricsSource {
  leading(): boolean;
  gateways(): { gateway: string; copyRowsLeft: number | null }[];
}

export class ClusterMetrics {
  readonly becameLeader: client.Counter;
  readonly reportFailures: client.Counter;

  constructor(registry: client.Registry, source: ClusterMetricsSource) {
    new client.Gauge({
      name: 'inferscale_ha_leader',
      help: '1 on the server replica that leads (runs the controller and the autoscaler), else 0.',
      registers: [registry],
      collect() {
        this.set(source.leading() ? 1 : 0);
      },
    });
    this.becameLeader = new client.Counter({
      name: 'inferscale_ha_became_leader_total',
      help: 'Times this server replica took over as leader.',
      registers: [registry],
    });
    new client.Gauge({
      name: 'inferscale_ha_follower_gateways',
      help: 'Follower gateways that reported their load to this leader in the last 5 s (0 on followers).',
      registers: [registry],
      collect() {
        this.set(source.leading() ? source.gateways().length : 0);
      },
    });
    new client.Gauge({
      name: 'inferscale_ha_history_copy_rows_left',
      help: "Rows of the leader's history, events, request log and cost ledger a follower still has to copy (on the leader).",
      labelNames: ['gateway'],
      registers: [registry],
      collect() {
        this.reset();
        if (!source.leading()) return;
        for (const g of source.gateways()) if (g.copyRowsLeft !== null) this.set({ gateway: g.gateway }, g.copyRowsLeft);
      },
    });
    this.reportFailures = new client.Counter({
      name: 'inferscale_ha_signal_report_failures_total',
      help: 'Load reports to the leader that failed (no leader, or it did not answer).',
      registers: [registry],
    });
  }
}
