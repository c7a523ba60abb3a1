/** CLI: `inferscale zone list` and `inferscale deployment export NAME -o yaml`. */
import { Command } from 'commander';
import { ApiClient, clientConfig } from '../cli/client.js';
import { output, table, outputOption } from '../cli/format.js';
import { cliIo } from '../cli/io.js';
import type { ZoneView } from './registry.js';

const client = () => new ApiClient(clientConfig());
const n = (v: number | null) => (v === null ? '?' : String(v));

export function formatZones(zones: ZoneView[]): string {
  const rows = zones.flatMap((z) =>
    (z.gpus.length ? z.gpus : [null]).map((g, i) => [
      i === 0 ? z.name : '',
      i === 0 ? z.type : '',
      i === 0 ? z.where : '',
      g?.gpuType ?? '-',
      g ? (z.type === 'local' ? String(g.allocatable) : `${n(g.allocatable)} on ${n(g.nodes)} nodes now`) : '-',
      g ? (g.limit === null ? `elastic (${z.provisioner})` : String(g.limit)) : '-',
      g?.requested ?? '-',
    ]),
  );
  const notes = zones.filter((z) => z.note).map((z) => `${z.name}: ${z.note}`);
  return table(['ZONE', 'TYPE', 'WHERE', 'GPU TYPE', 'GPUS', 'LIMIT', 'REQUESTED'], rows) + (notes.length ? `\n\n${notes.join('\n')}` : '');
}

export function zoneCommand(): Command {
  const cmd = new Command('zone').description('where replicas run: this machine (local) or Kubernetes clusters from the zones file');
  cmd
    .command('list')
    .description('list zones with their GPU types and capacity')
    .addOption(outputOption())
    .action(async (o) => {
      const { zones } = await client().call<{ zones: ZoneView[] }>('GET', '/zones');
      output(o.output, zones, () => formatZones(zones));
    });
  return cmd;
}

/** `deployment export`: added under `inferscale deployment` (src/cli/deployment.ts). */
export function deploymentExportCommand(): Command {
  return new Command('export')
    .argument('<name>')
    .description('print the Kubernetes objects of a deployment (Deployment, headless Service, PodDisruptionBudget)')
    .addOption(outputOption([], 'yaml').choices(['yaml', 'json']))
    .option('-z, --zone <zone>', "render for this Kubernetes zone (default: the deployment's own zone)")
    .action(async (name: string, o: { output: 'yaml' | 'json'; zone?: string }) => {
      const q = new URLSearchParams({ format: 'json', ...(o.zone ? { zone: o.zone } : {}) });
      const list = await client().call<{ items: object[] }>('GET', `/deployments/${encodeURIComponent(name)}/export?${q}`);
      if (o.output === 'json') {
        cliIo().stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const { toYaml } = await import('./export.js');
      cliIo().stdout.write(toYaml(list.items));
    });
}
