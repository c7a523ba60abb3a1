/** The cloud model's numbers summed over a policy's deployments, rounded for the report. */
import type { DeploymentResult } from '../engine/options.js';
import { round } from '../stats.js';
import { type CloudStats, emptyStats } from './options.js';

export type CloudReport = CloudStats;

/** undefined when no deployment ran with the cloud model */
export function sumCloudStats(res: readonly DeploymentResult[]): CloudReport | undefined {
  if (!res.some((r) => r.cloud)) return undefined;
  const s = emptyStats();
  for (const r of res) {
    const c = r.cloud;
    if (!c) continue;
    for (const k of Object.keys(s) as (keyof CloudStats)[]) s[k] += c[k];
  }
  return { ...s, costUsd: round(s.costUsd, 2), onDemandHours: round(s.onDemandHours, 4), spotHours: round(s.spotHours, 4) };
}
