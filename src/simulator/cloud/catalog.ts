/**
 * The simulator's node catalog (issue #17): node types with their GPUs and hourly prices on on-demand and spot
 * capacity. Defaults: AWS us-east-1 on-demand prices from Karpenter's pricing file (generated 2026-07-20) and
 * spot prices from SkyPilot's catalog (catalogs/v8/aws/vms.csv @00148f2a), as gathered in
 * ../shared/reference/capacity-spot-packing.md. Where the catalog gives a spot range we take its midpoint; where
 * no spot price is published, spot = on-demand x DEFAULT_SPOT_RATIO. `--catalog FILE` (JSON) replaces the list.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';

export interface NodeType {
  name: string;
  gpuType: string;
  gpus: number;
  gpuMemoryGiB: number;
  /** USD per node-hour */
  onDemandUsdPerHour: number;
  spotUsdPerHour: number;
}

/** spot / on-demand where no spot price is published: the middle of the 0.35-0.45 the reference suggests */
export const DEFAULT_SPOT_RATIO = 0.4;

const mid = (lo: number, hi: number) => Math.round(((lo + hi) / 2) * 10_000) / 10_000;
const ratio = (od: number) => Math.round(od * DEFAULT_SPOT_RATIO * 10_000) / 10_000;

export const DEFAULT_CATALOG: readonly NodeType[] = [
  { name: 'g5.xlarge', gpuType: 'a10g', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1.006, spotUsdPerHour: mid(0.43, 0.45) },
  // "spot ~0.45x" of on-demand in the reference
  { name: 'g6.xlarge', gpuType: 'l4', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 0.8048, spotUsdPerHour: Math.round(0.8048 * 0.45 * 10_000) / 10_000 },
  { name: 'g6e.xlarge', gpuType: 'l40s', gpus: 1, gpuMemoryGiB: 48, onDemandUsdPerHour: 1.861, spotUsdPerHour: mid(0.92, 1.2) },
  { name: 'p4d.24xlarge', gpuType: 'a100-40gb', gpus: 8, gpuMemoryGiB: 40, onDemandUsdPerHour: 21.96, spotUsdPerHour: mid(2.47, 8.19) },
  { name: 'p4de.24xlarge', gpuType: 'a100-80gb', gpus: 8, gpuMemoryGiB: 80, onDemandUsdPerHour: 27.45, spotUsdPerHour: mid(8.65, 9.97) },
  { name: 'p5.4xlarge', gpuType: 'h100', gpus: 1, gpuMemoryGiB: 80, onDemandUsdPerHour: 6.88, spotUsdPerHour: ratio(6.88) },
  { name: 'p5.48xlarge', gpuType: 'h100', gpus: 8, gpuMemoryGiB: 80, onDemandUsdPerHour: 55.04, spotUsdPerHour: mid(17.6, 25.8) },
  { name: 'p5en.48xlarge', gpuType: 'h200', gpus: 8, gpuMemoryGiB: 141, onDemandUsdPerHour: 63.3, spotUsdPerHour: ratio(63.3) },
  { name: 'p6-b200.48xlarge', gpuType: 'b200', gpus: 8, gpuMemoryGiB: 180, onDemandUsdPerHour: 113.93, spotUsdPerHour: ratio(113.93) },
];

/** the default node type: an A100 node (the simulator's default price is an on-demand A100) */
export const DEFAULT_NODE_TYPE = 'p4d.24xlarge';

const nodeTypeSchema = z
  .object({
    name: z.string().min(1, 'must not be empty'),
    gpuType: z.string().min(1, 'must not be empty'),
    gpus: z.number().int('must be a whole number').min(1, 'must be at least 1').max(64, 'must be at most 64'),
    gpuMemoryGiB: z.number().positive('must be above 0'),
    onDemandUsdPerHour: z.number().positive('must be above 0'),
    spotUsdPerHour: z.number().positive('must be above 0').optional(),
  })
  .strict();

const catalogSchema = z.object({ nodeTypes: z.array(nodeTypeSchema).min(1, 'must list at least one node type') }).strict();

/** A catalog from JSON text (`{"nodeTypes": [...]}`; spot absent: on-demand x DEFAULT_SPOT_RATIO). Throws naming the field. */
export function parseCatalog(text: string, source = '--catalog'): NodeType[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalid(source, `not JSON: ${(e as Error).message}`);
  }
  const res = catalogSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0];
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw invalid(`${source}${path}`, issue.message);
  }
  const seen = new Set<string>();
  return res.data.nodeTypes.map((n, k) => {
    if (seen.has(n.name)) throw invalid(`${source}.nodeTypes[${k}].name`, `"${n.name}" is listed twice`);
    seen.add(n.name);
    const spot = n.spotUsdPerHour ?? ratio(n.onDemandUsdPerHour);
    if (spot > n.onDemandUsdPerHour) throw invalid(`${source}.nodeTypes[${k}].spotUsdPerHour`, `${spot} is above the on-demand price ${n.onDemandUsdPerHour}`);
    return { ...n, spotUsdPerHour: spot };
  });
}

export function loadCatalog(path: string): NodeType[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw invalid('--catalog', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseCatalog(text);
}

export function findNodeType(catalog: readonly NodeType[], name: string): NodeType {
  const n = catalog.find((t) => t.name === name);
  if (!n) throw invalid('--node-type', `"${name}" is not in the catalog (known: ${catalog.map((t) => t.name).join(', ')})`);
  return n;
}

/**
 * USD per hour of one replica of `gpuCount` GPUs on `node`: its share of the node (a replica on 1 GPU of an
 * 8-GPU node pays 1/8; a replica wider than the node pays whole nodes).
 */
export function replicaUsdPerHour(node: NodeType, gpuCount: number, capacity: 'on-demand' | 'spot'): number {
  const perNode = capacity === 'spot' ? node.spotUsdPerHour : node.onDemandUsdPerHour;
  const nodes = gpuCount <= node.gpus ? gpuCount / node.gpus : Math.ceil(gpuCount / node.gpus);
  return perNode * nodes;
}
