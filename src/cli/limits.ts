import { Command } from 'commander';
import { ApiClient, ApiError, clientConfig } from './client.js';
import { output, table, outputOption } from './format.js';
import type { GpuLimit } from '../service/deployments.js';
import { cliIo } from './io.js';

export function limitsCommand(): Command {
  const cmd = new Command('limits').description('GPU usage and quotas');
  const gpu = cmd
    .command('gpu')
    .description('GPU usage and maximum per GPU type')
    .addOption(outputOption())
    .action(async (o) => {
      const { limits } = await new ApiClient(clientConfig()).call<{ limits: GpuLimit[] }>('GET', '/limits/gpu');
      output(o.output, limits, () =>
        table(
          ['GPU TYPE', 'USED', 'MAX', 'QUOTA', 'INVENTORY'],
          limits.map((l) => [l.gpuType, l.used, l.max, l.quota ?? 'unset (inventory)', l.inventory]),
        ),
      );
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
