import { Command } from 'commander';
import { ApiClient, ApiError, clientConfig } from './client.js';
import { output, table, outputOption } from './format.js';
import type { GpuLimit } from '../service/deployments.js';
import { cliIo } from './io.js';
import { formatMemory } from '../placement/size.js';

type GpuMemoryRow = {
  index: number;
  type: string;
  memoryMb: number;
  usedMb: number;
  freeMb: number;
  whole: boolean;
  replicas: string[];
  sleepers?: string[];
};

const limitRow = (l: GpuLimit) => [l.gpuType, Number(l.used.toFixed(2)), l.max, l.quota ?? 'unset (inventory)', l.inventory];

/** One GPU: its memory, what is used and free, who holds it (whole, or the replicas sharing it) and who sleeps bound to it. */
function gpuRow(g: GpuMemoryRow): Array<string | number> {
  const running = g.replicas.length === 0 ? [] : [g.whole ? `${g.replicas.join(', ')} (whole)` : g.replicas.join(', ')];
  const asleep = (g.sleepers ?? []).map((id) => `${id} (asleep)`);
  const holders = [...running, ...asleep].join(', ') || '-';
  const mem = (mb: number) => (g.memoryMb > 0 ? formatMemory(mb) : '-');
  return [g.index, g.type, mem(g.memoryMb), mem(g.usedMb), mem(g.freeMb), holders];
}

export function limitsCommand(): Command {
  const cmd = new Command('limits').description('GPU usage and quotas');
  const gpu = cmd
    .command('gpu')
    .description('GPU usage and maximum per GPU type')
    .addOption(outputOption())
    .action(async (o) => {
      const api = new ApiClient(clientConfig());
      const { limits } = await api.call<{ limits: GpuLimit[] }>('GET', '/limits/gpu');
      output(o.output, limits, () => table(['GPU TYPE', 'USED', 'MAX', 'QUOTA', 'INVENTORY'], limits.map(limitRow)));
      if (o.output !== 'table') return;
      // memory per GPU and the replicas sharing it, where the server knows its GPUs' memory or a sleeper is bound to one
      const { gpus } = await api.call<{ gpus: GpuMemoryRow[] }>('GET', '/gpus');
      if (!gpus.some((g) => g.memoryMb > 0 || (g.sleepers ?? []).length > 0)) return;
      cliIo().stdout.write(`\n${table(['GPU', 'TYPE', 'MEMORY', 'USED', 'FREE', 'REPLICAS'], gpus.map(gpuRow))}\n`);
    });
  gpu
    .command('set <type> <max>')
    .description('set the GPU quota of a type ("unset" removes it)')
    .action(async (type: string, max: string) => {
      if (max !== 'unset' && !/^\d+$/.test(max)) throw new ApiError(400, 'invalid_argument', `max: must be a non-negative integer or "unset", got "${max}"`);
      const { limits } = await new ApiClient(clientConfig()).call<{ limits: GpuLimit[] }>('PUT', `/limits/gpu/${type}`, {
        max: max === 'unset' ? null : Number(max),
      });
      const l = limits.find((x) => x.gpuType === type);
      cliIo().stdout.write(`${type}: ${l?.used ?? 0} used of ${l?.max ?? max}\n`);
    });
  return cmd;
}
