/**
 * The cluster's settings (the `inferscale-settings` ConfigMap: GPU quotas, GPU prices on-demand and spot, the model catalog)
 * as a new leader takes them over: each entry checked with the API's own rules, since anyone who may edit
 * the ConfigMap could write anything there. Entries that fail are dropped, each named in `log`.
 */
import type { ClusterSettings } from './mirror.js';
import { checkGpuQuota } from '../service/deployments.js';
import { checkGpuPrice } from '../cost/service.js';
import { checkSpotPrice } from '../cost/spot-price.js';
import { checkSharedModel } from '../models/service.js';
import type { SharedModel } from '../models/service.js';
import type { CapacityStore } from '../service/capacity-store.js';

export function validSettings(s: ClusterSettings, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const spotPrices: Record<string, number> = {};
  const out: ClusterSettings = { quotas: {}, prices: {}, spotPrices, models: [] };
  const drop = (what: string, e: unknown) => log(`cluster: inferscale-settings: ${what} ignored: ${(e as Error).message}`);
  for (const [gpuType, max] of Object.entries(isRecord(s.quotas) ? s.quotas : {})) {
    try {
      checkGpuQuota(gpuType, max);
      if (max !== null) out.quotas[gpuType] = max;
    } catch (e) {
      drop(`quota ${JSON.stringify(gpuType)}`, e);
    }
  }
  for (const [gpuType, usd] of Object.entries(isRecord(s.prices) ? s.prices : {})) {
    try {
      checkGpuPrice(gpuType, usd);
      if (usd !== null) out.prices[gpuType] = usd;
    } catch (e) {
      drop(`price ${JSON.stringify(gpuType)}`, e);
    }
  }
  // a spot price needs the on-demand one of its type, and is at most that (as `cost price set --spot` checks)
  for (const [gpuType, usd] of Object.entries(isRecord(s.spotPrices) ? s.spotPrices : {})) {
    try {
      if (out.prices[gpuType] === undefined) throw new Error(`no on-demand price for ${gpuType}`);
      checkSpotPrice(gpuType, out.prices[gpuType], usd);
      if (usd !== null) spotPrices[gpuType] = usd;
    } catch (e) {
      drop(`spot price ${JSON.stringify(gpuType)}`, e);
    }
  }
  for (const m of Array.isArray(s.models) ? (s.models as unknown[]) : []) {
    try {
      out.models.push(checkSharedModel(m, env) satisfies SharedModel);
    } catch (e) {
      drop(`model ${JSON.stringify((m as { name?: unknown } | null)?.name ?? null)}`, e);
    }
  }
  return out;
}

/** A table of prices by GPU type as the server keeps it: on-demand (the cost ledger) or spot (module "capacity"). */
export interface PriceTable {
  all(): Record<string, number>;
  /** null removes the price */
  set(gpuType: string, usdPerGpuHour: number | null): void;
}

/** The spot prices of the capacity store as a PriceTable. */
export const spotPriceTable = (c: CapacityStore): PriceTable => ({ all: () => c.spotPrices(), set: (gpuType, usd) => c.setSpotPrice(gpuType, usd) });

/**
 * What a new leader takes over of checked settings' prices: each price set as the settings say, and a price the
 * settings do not hold removed (they are the cluster's record; a spot price removed by the last leader goes).
 * On-demand first, so that no spot price is ever left without its on-demand one.
 */
export function applyPrices(s: ClusterSettings, onDemand: PriceTable, spot: PriceTable): void {
  for (const [table, wanted] of [
    [onDemand, s.prices],
    [spot, s.spotPrices ?? {}],
  ] as const) {
    const held = table.all();
    for (const [gpuType, usd] of Object.entries(wanted)) if (held[gpuType] !== usd) table.set(gpuType, usd);
    for (const gpuType of Object.keys(held)) if (!(gpuType in wanted)) table.set(gpuType, null);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
