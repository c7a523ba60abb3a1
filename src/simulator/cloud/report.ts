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

/** Lines under the table: each policy's cloud numbers (none without the cloud model). */
export function cloudLines(policies: readonly { name: string; cloud?: CloudReport }[]): string {
  return policies
    .filter((p) => p.cloud)
    .map((p) => {
      const c = p.cloud as CloudReport;
      return `${p.name}: $${c.costUsd.toFixed(2)} (on-demand ${c.onDemandHours.toFixed(2)} h, spot ${c.spotHours.toFixed(2)} h), preemptions ${c.preemptions}, requests retried ${c.retried}, lost ${c.lost}, fallbacks ${c.fallbacks}, moves back ${c.movesBack}\n`;
    })
    .join('');
}
