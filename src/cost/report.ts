/**
 * The cost report: a pure function of usage rows, prices, request/token totals and `now`. Groups by
 * deployment, by a label ("label:team") for chargeback, or by GPU type.
 */
import { gpuSeconds, gpusHeld, usd } from './meter.js';
import type { UsageRow } from './ledger.js';
import { priceOn, savingPerGpuHour } from './spot-price.js';

export type PriceSource = 'set' | 'default-virtual' | 'unset';

export interface Price {
  gpuType: string;
  usdPerGpuHour: number;
  source: PriceSource;
  /** what replicas on spot nodes pay (absent: the on-demand price) */
  spotUsdPerGpuHour?: number;
}

export interface CostLine {
  /** deployment name, label value ("(none)" when unlabelled) or GPU type */
  key: string;
  deployments: string[];
  gpuSeconds: number;
  gpuHours: number;
  costUsd: number;
  /** USD per hour at the GPUs held right now */
  burnRateUsdPerHour: number;
  gpusHeld: number;
  requests: number;
  tokens: number;
  costPer1kRequestsUsd: number | null;
  costPerMillionTokensUsd: number | null;
  /** for `by=deployment`: true when the deployment no longer exists */
  deleted?: boolean;
  /** GPU-hours on spot nodes, and what they saved against the on-demand price (src/cost/spot-price.ts) */
  spotGpuHours: number;
  spotSavingsUsd: number;
}

export interface CostReport {
  since: string | null;
  until: string;
  by: string;
  currency: 'USD';
  lines: CostLine[];
  total: CostLine;
  prices: Price[];
  /** fractional deployments: each replica is charged its memory's share of one GPU (`gpus`, e.g. 0.25) */
  shares: Array<{ deployment: string; gpus: number }>;
}

export interface CostInput {
  now: number;
  /** undefined: since the beginning of the ledger */
  sinceMs?: number;
  by: string;
  usage: readonly UsageRow[];
  /** the deployments that exist now (their current name and labels win over the ledger's copies) */
  live: readonly { id: string; name: string; labels: Record<string, string>; gpuType: string }[];
  price: (gpuType: string) => Price;
  totals: (deploymentId: string) => { requests: number; tokens: number };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function line(key: string, rows: readonly UsageRow[], ids: Set<string>, names: Set<string>, inp: CostInput): CostLine {
  let secs = 0;
  let cost = 0;
  let burn = 0;
  let held = 0;
  let spotSecs = 0;
  let saved = 0;
  for (const r of rows) {
    const s = gpuSeconds([r], inp.now, inp.sinceMs);
    const price = inp.price(r.gpuType);
    const p = priceOn(price, r.capacity);
    secs += s;
    cost += usd(s, p);
    if (r.capacity === 'spot') spotSecs += s;
    saved += usd(s, savingPerGpuHour(price, r.capacity));
    const h = gpusHeld([r], inp.now);
    held += h;
    burn += h * p;
  }
  let requests = 0;
  let tokens = 0;
  for (const id of ids) {
    const t = inp.totals(id);
    requests += t.requests;
    tokens += t.tokens;
  }
  return {
    key,
    deployments: [...names].sort(),
    gpuSeconds: round(secs, 3),
    gpuHours: round(secs / 3600, 6),
    costUsd: round(cost, 6),
    burnRateUsdPerHour: round(burn, 6),
    gpusHeld: held,
    requests,
    tokens,
    costPer1kRequestsUsd: requests ? round((cost / requests) * 1000, 6) : null,
    costPerMillionTokensUsd: tokens ? round((cost / tokens) * 1e6, 6) : null,
    spotGpuHours: round(spotSecs / 3600, 6),
    spotSavingsUsd: round(saved, 6),
  };
}

/** Validates `by`: "deployment", "gpu-type" or "label:KEY". */
export function validBy(by: string): boolean {
  return by === 'deployment' || by === 'gpu-type' || /^label:[A-Za-z0-9._/-]{1,63}$/.test(by);
}

export function costReport(inp: CostInput): CostReport {
  const live = new Map(inp.live.map((d) => [d.id, d]));
  const keyOf = (r: UsageRow): string => {
    const d = live.get(r.deploymentId);
    if (inp.by === 'deployment') return d?.name ?? r.deploymentName;
    if (inp.by === 'gpu-type') return r.gpuType;
    return (d?.labels ?? r.labels)[inp.by.slice('label:'.length)] ?? '(none)';
  };
  const groups = new Map<string, { rows: UsageRow[]; ids: Set<string>; names: Set<string> }>();
  const group = (k: string) => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { rows: [], ids: new Set(), names: new Set() }));
    return g;
  };
  for (const r of inp.usage) {
    const g = group(keyOf(r));
    g.rows.push(r);
    g.ids.add(r.deploymentId);
    g.names.add(live.get(r.deploymentId)?.name ?? r.deploymentName);
  }
  // live deployments that never held a GPU in the period still get a (zero) line
  for (const d of inp.live) {
    const k = keyOf({ deploymentId: d.id, deploymentName: d.name, labels: d.labels, gpuType: d.gpuType } as UsageRow);
    const g = group(k);
    g.ids.add(d.id);
    g.names.add(d.name);
  }
  const lines = [...groups].map(([k, g]) => {
    const l = line(k, g.rows, g.ids, g.names, inp);
    if (inp.by === 'deployment') l.deleted = ![...g.ids].some((id) => live.has(id));
    return l;
  });
  lines.sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
  const allIds = new Set([...inp.usage.map((r) => r.deploymentId), ...inp.live.map((d) => d.id)]);
  const allNames = new Set(lines.flatMap((l) => l.deployments));
  const types = [...new Set([...inp.usage.map((r) => r.gpuType), ...inp.live.map((d) => d.gpuType)])].sort();
  return {
    since: inp.sinceMs === undefined ? null : new Date(inp.sinceMs).toISOString(),
    until: new Date(inp.now).toISOString(),
    by: inp.by,
    currency: 'USD',
    lines,
    total: line('total', inp.usage, allIds, allNames, inp),
    prices: types.map((t) => inp.price(t)),
    shares: fractionalShares(inp.usage, (r) => live.get(r.deploymentId)?.name ?? r.deploymentName),
  };
}

/** The deployments charged a fraction of a GPU per replica, with that fraction (the newest replica's). */
function fractionalShares(usage: readonly UsageRow[], nameOf: (r: UsageRow) => string): Array<{ deployment: string; gpus: number }> {
  const out = new Map<string, number>();
  for (const r of usage) if (!Number.isInteger(r.gpuCount)) out.set(nameOf(r), round(r.gpuCount, 4));
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([deployment, gpus]) => ({ deployment, gpus }));
}
