/** `inferscale metrics NAME [--since 1h] [-O table|json]`: a deployment's metrics history as a table. */
import { Command } from 'commander';
import { ApiClient, clientConfig } from '../cli/client.js';
import { output, table, type OutputFormat, outputOption } from '../cli/format.js';

export interface MetricsResponse {
  deployment: string;
  resolutionMs: number;
  since: string;
  latest: Record<string, number | null> | null;
  columns: Record<string, (number | null)[]>;
}

const num = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** At most `rows` evenly spaced points of the series, newest last, as table rows. */
export function metricsTable(m: MetricsResponse, rows = 30): string {
  const n = m.columns.at.length;
  if (!n) return `no samples for ${m.deployment} since ${m.since}`;
  const step = Math.max(1, Math.ceil(n / rows));
  const idx: number[] = [];
  for (let i = n - 1; i >= 0; i -= step) idx.unshift(i);
  const c = m.columns;
  return `${table(
    ['TIME', 'REQ/S', 'ONGOING', 'QUEUED', 'TTFT P50', 'TTFT P95', 'TOK/S', 'DESIRED', 'READY', 'STARTING', 'GPUS'],
    idx.map((i) => [
      new Date(c.at[i]!).toISOString().replace('T', ' ').slice(0, 19),
      num(c.requestRate[i], 2),
      num(c.ongoing[i]),
      num(c.queued[i]),
      c.ttftP50Ms[i] === null ? '-' : `${num(c.ttftP50Ms[i], 0)}ms`,
      c.ttftP95Ms[i] === null ? '-' : `${num(c.ttftP95Ms[i], 0)}ms`,
      num(c.tokensPerSecond[i]),
      num(c.desired[i]),
      num(c.ready[i]),
      num(c.starting[i]),
      num(c.gpus[i]),
    ]),
  )}\n\n${m.deployment}: ${n} points at ${m.resolutionMs / 1000} s resolution since ${m.since}`;
}

export function metricsCommand(): Command {
  return new Command('metrics')
    .description("a deployment's metrics history: request rate, queue, TTFT, tokens/s, replicas, GPUs (1 s for 15 min, 10 s for a day, 5 min for 30 days)")
    .argument('<name>', 'deployment')
    .option('--since <when>', 'a duration back from now (15m, 6h, 7d) or a date', '15m')
    .addOption(outputOption())
    .action(async (name: string, o) => {
      const m = await new ApiClient(clientConfig()).call<MetricsResponse>(
        'GET',
        `/deployments/${encodeURIComponent(name)}/metrics?since=${encodeURIComponent(o.since)}`,
      );
      output(o.output as OutputFormat, m, () => metricsTable(m));
    });
}

/**
 * Lines for `inferscale deployment show NAME`: load over the last 10 s of samples and cost. Pure, so
 * `show` can append them to its key/value block; `showExtras` fetches what it needs.
 */
export function showLines(
  m: MetricsResponse | undefined,
  cost: { burnRateUsdPerHour: number; costUsd: number; costPer1kRequestsUsd: number | null } | undefined,
): [string, string][] {
  const out: [string, string][] = [];
  const n = m?.columns.at.length ?? 0;
  if (m && n) {
    const k = Math.max(1, Math.round(10_000 / m.resolutionMs));
    const last = (key: string) => m.columns[key].slice(Math.max(0, n - k));
    const mean = (key: string) => last(key).reduce<number>((a, b) => a + (b ?? 0), 0) / Math.min(n, k);
    const newest = (key: string) => [...last(key)].reverse().find((v) => v !== null) ?? null;
    out.push(['Request Rate', `${mean('requestRate').toFixed(2)}/s, ${mean('tokensPerSecond').toFixed(1)} tokens/s (last 10 s)`]);
    out.push(['Ongoing / Queued', `${mean('ongoing').toFixed(1)} / ${mean('queued').toFixed(1)}`]);
    const p50 = newest('ttftP50Ms');
    const p95 = newest('ttftP95Ms');
    out.push(['TTFT p50 / p95', p50 === null || p95 === null ? '-' : `${Math.round(p50)} ms / ${Math.round(p95)} ms`]);
  }
  if (cost) {
    const perK = cost.costPer1kRequestsUsd === null ? '' : `, $${cost.costPer1kRequestsUsd.toFixed(4)} per 1k requests`;
    out.push(['Cost', `$${cost.burnRateUsdPerHour.toFixed(2)}/h now, $${cost.costUsd.toFixed(cost.costUsd < 1 ? 4 : 2)} so far${perK}`]);
  }
  return out;
}

export async function showExtras(client: ApiClient, name: string): Promise<[string, string][]> {
  const [m, cost] = await Promise.all([
    client.call<MetricsResponse>('GET', `/deployments/${encodeURIComponent(name)}/metrics?since=1m`).catch(() => undefined),
    client
      .call<{ lines: { key: string; burnRateUsdPerHour: number; costUsd: number; costPer1kRequestsUsd: number | null }[] }>('GET', '/cost?by=deployment')
      .catch(() => undefined),
  ]);
  return showLines(
    m,
    cost?.lines.find((l) => l.key === name),
  );
}
