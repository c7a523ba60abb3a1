/**
 * `inferscale cost [--by label:team] [--since 7d] [-O table|json]` and
 * `inferscale cost price [list] | set TYPE USD | set TYPE unset`.
 */
import { Command } from 'commander';
import { cliIo } from '../cli/io.js';
import { ApiClient, ApiError, clientConfig } from '../cli/client.js';
import { output, table, type OutputFormat, outputOption } from '../cli/format.js';
import type { CostLine, CostReport, Price } from './report.js';

const client = () => new ApiClient(clientConfig());
/** USD; amounts under $1 get 4 decimals so small costs do not read as $0.00 */
const money = (x: number | null, digits?: number) => (x === null ? '-' : `$${x.toFixed(digits ?? (x !== 0 && Math.abs(x) < 1 ? 4 : 2))}`);

export function priceLine(p: Price): string {
  const note =
    p.source === 'set' ? '' : p.source === 'default-virtual' ? ' (default for virtual GPUs)' : ' (no price set: "inferscale cost price set TYPE USD")';
  const spot = p.spotUsdPerGpuHour === undefined ? '' : `, spot $${p.spotUsdPerGpuHour.toFixed(2)}`;
  return `${p.gpuType}: $${p.usdPerGpuHour.toFixed(2)} per GPU-hour${spot}${note}`;
}

export function costTable(r: CostReport): string {
  const head = r.by === 'deployment' ? 'DEPLOYMENT' : r.by === 'gpu-type' ? 'GPU TYPE' : r.by.slice('label:'.length).toUpperCase();
  const row = (l: CostLine, key: string) => [
    key,
    l.gpuHours.toFixed(3),
    money(l.costUsd),
    money(l.burnRateUsdPerHour, 2),
    l.requests,
    money(l.costPer1kRequestsUsd, 4),
    l.tokens,
    money(l.costPerMillionTokensUsd, 4),
  ];
  const rows = r.lines.map((l) => row(l, l.deleted ? `${l.key} (deleted)` : l.key));
  rows.push(row(r.total, 'TOTAL'));
  const body = table([head, 'GPU-HOURS', 'COST', 'BURN/H', 'REQUESTS', 'PER 1K REQ', 'TOKENS', 'PER 1M TOK'], rows);
  const savings =
    r.total.spotGpuHours > 0 ? `\nspot: ${r.total.spotGpuHours.toFixed(3)} GPU-hours saved ${money(r.total.spotSavingsUsd)} against on-demand` : '';
  const shares = (r.shares ?? []).map((s) => `${s.deployment}: each replica is charged ${s.gpus} of a GPU (its share of the GPU's memory)`);
  return `${body}${savings}\n\n${r.since ? `since ${r.since}` : 'since the first replica'} until ${r.until}\n${[...r.prices.map(priceLine), ...shares].join('\n')}`;
}

export function costCommand(): Command {
  const cmd = new Command('cost')
    .description('GPU cost per deployment or label: GPU-hours, cost so far, burn rate, cost per 1k requests and per 1M tokens')
    .option('--by <grouping>', 'deployment | gpu-type | label:KEY (e.g. label:team)', 'deployment')
    .option('--since <when>', 'a duration back from now (30m, 24h, 7d) or a date; default: everything')
    .addOption(outputOption())
    .action(async (o) => {
      const q = new URLSearchParams({ by: o.by });
      if (o.since) q.set('since', o.since);
      const r = await client().call<CostReport>('GET', `/cost?${q}`);
      output(o.output as OutputFormat, r, () => costTable(r));
    });
  const price = cmd.command('price').description('price per GPU-hour of each GPU type');
  price
    .command('list', { isDefault: true })
    .description('show the price of every GPU type')
    .addOption(outputOption())
    .action(async (o) => {
      const { prices } = await client().call<{ prices: Price[] }>('GET', '/cost/prices');
      output(o.output as OutputFormat, prices, () => prices.map(priceLine).join('\n'));
    });
  price
    .command('set <type> <usd>')
    .description('set the price of a GPU type in USD per GPU-hour ("unset" removes it)')
    .option('--spot <usd>', 'the spot price per GPU-hour ("unset" removes it); absent: kept')
    .action(async (type: string, usd: string, o: { spot?: string }) => {
      const amount = (v: string, what: string) => {
        if (v !== 'unset' && !/^\d+(\.\d+)?$/.test(v))
          throw new ApiError(400, 'invalid_argument', `${what}: must be a non-negative number of USD per GPU-hour or "unset", got "${v}"`);
        return v === 'unset' ? null : Number(v);
      };
      const { prices } = await client().call<{ prices: Price[] }>('PUT', `/cost/prices/${encodeURIComponent(type)}`, {
        usdPerGpuHour: amount(usd, 'usd'),
        spotUsdPerGpuHour: o.spot === undefined ? undefined : amount(o.spot, 'spot'),
      });
      const p = prices.find((x) => x.gpuType === type);
      cliIo().stdout.write(`${p ? priceLine(p) : `${type}: price removed`}\n`);
    });
  return cmd;
}
