/**
 * The cluster's settings (the `inferscale-settings` ConfigMap: GPU quotas, GPU prices, the model catalog)
 * as a new leader takes them over: each entry checked with the API's own rules, since anyone who may edit
 * the ConfigMap could write anything there. Entries that fail are dropped, each named in `log`.
 */
import type { ClusterSettings } from './mirror.js';
import { checkGpuQuota } from '../service/deployments.js';
import { checkGpuPrice } from '../cost/service.js';
import { checkSharedModel } from '../models/service.js';
import type { SharedModel } from '../models/service.js';

export function validSettings(s: ClusterSettings, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const out: ClusterSettings = { quotas: {}, prices: {}, models: [] };
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
  for (const m of Array.isArray(s.models) ? (s.models as unknown[]) : []) {
    try {
      out.models.push(checkSharedModel(m, env) satisfies SharedModel);
    } catch (e) {
      drop(`model ${JSON.stringify((m as { name?: unknown } | null)?.name ?? null)}`, e);
    }
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
