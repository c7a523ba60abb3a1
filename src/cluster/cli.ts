/** CLI: `inferscale cluster status`: which server replica leads, and which gateways report to it. */
import { Command } from 'commander';
import { ApiClient, clientConfig } from '../cli/client.js';
import { output, table, outputOption } from '../cli/format.js';
import type { ClusterView } from './cluster-api.js';

export function formatCluster(v: ClusterView): string {
  const head = `this server: ${v.identity} (${v.role})\nleader:      ${v.leader ?? 'none right now'}`;
  if (v.role === 'single') return `${head}\none server: no leader election (start several with --ha ZONE on Kubernetes)`;
  const copy = (left: number | null) => (left === null ? 'not asked' : left === 0 ? 'caught up' : `${left.toLocaleString('en-US')} rows to go`);
  const rows = v.gateways.map((g) => [g.gateway, `${(g.ageMs / 1000).toFixed(1)}s ago`, copy(g.copyRowsLeft)]);
  return `${head}\n\n${rows.length ? table(['GATEWAY REPORTING TO THE LEADER', 'LAST REPORT', 'HISTORY COPY'], rows) : 'no follower gateway reports (asked a follower, or none runs)'}`;
}

export function clusterCommand(): Command {
  const cmd = new Command('cluster').description('server replicas on Kubernetes (--ha): who leads');
  cmd
    .command('status')
    .description("this server's role, the leader, and the gateways that report their load to it")
    .addOption(outputOption())
    .action(async (o) => {
      const v = await new ApiClient(clientConfig()).call<ClusterView>('GET', '/cluster');
      output(o.output, v, () => formatCluster(v));
    });
  return cmd;
}
