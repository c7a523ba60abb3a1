/** GPU capacity of a Kubernetes zone: nodes that match each GPU type's labels, their allocatable GPUs, and what replicas request. */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubernetesZoneConfig } from '../../zones/config.js';
import { apiMessage, type KubeClient } from './client.js';
import { nodeSelectorTerms } from './render.js';
import { nodeMatches } from './selectors.js';
import { isLive, podView } from './pods.js';

export interface GpuTypeCapacity {
  gpuType: string;
  /** nodes now in the cluster that match the type's labels (null: nodes cannot be listed) */
  nodes: number | null;
  allocatable: number | null;
  /** GPUs requested by inferscale's live pods of this type */
  requested: number;
  /** the zone's cap (maxGpus), null: elastic (the node provisioner decides) */
  limit: number | null;
}

export function capacityOf(zone: KubernetesZoneConfig, nodes: V1Node[] | null, pods: V1Pod[]): GpuTypeCapacity[] {
  return Object.entries(zone.gpuTypes).map(([gpuType, m]) => {
    const affinity = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: nodeSelectorTerms(m) } } } };
    const matching = nodes?.filter((n) => nodeMatches(affinity, n.metadata?.labels)) ?? null;
    const requested = pods
      .filter((p) => p.metadata?.labels?.['inferscale.dev/gpu-type'] === gpuType && isLive(podView(p)))
      .reduce((s, p) => s + (p.spec?.containers ?? []).reduce((t, c) => t + Number(c.resources?.limits?.[m.resource] ?? 0), 0), 0);
    return {
      gpuType,
      nodes: matching ? matching.length : null,
      allocatable: matching ? matching.reduce((s, n) => s + Number(n.status?.allocatable?.[m.resource] ?? 0), 0) : null,
      requested,
      limit: m.maxGpus ?? null,
    };
  });
}

/** Lists nodes (a cluster-scoped read the ClusterRole grants); null with a note when not allowed. */
export async function listNodes(k: KubeClient): Promise<{ nodes: V1Node[] | null; note?: string }> {
  try {
    return { nodes: (await k.core.listNode()).items };
  } catch (e) {
    return { nodes: null, note: `nodes not listed: ${apiMessage(e)}` };
  }
}
