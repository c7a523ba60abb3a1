/**
 * A draining pod's drain start, carried across an HA failover. The leader keeps a replica's drain start
 * in its row (drainStartedAt), which only it has; a new leader rebuilds the rows from the pods
 * (restore.ts). So the leader writes the drain start on the draining replica's pod as an annotation
 * (with its state mirror, every couple of seconds and after each API write), and a new leader reads it
 * back: the pod is restored as draining, its deadline counted from the first leader's drain start, not
 * adopted as ready and drained again from the failover.
 *
 * `drainMarks` is pure (pods and rows in, the annotations to write out); `drainStartOf` reads one pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_REPLICA } from '../providers/kubernetes/labels.js';
import { apiMessage, MERGE_PATCH, type KubeClient } from '../providers/kubernetes/client.js';

/** on a replica pod: when it started draining, ms since the epoch (decimal) */
export const ANNOTATION_DRAIN_STARTED = 'inferscale.dev/drain-started-at';

/** The drain start a pod carries, ms (undefined: none, or not a number). */
export function drainStartOf(p: V1Pod): number | undefined {
  const raw = p.metadata?.annotations?.[ANNOTATION_DRAIN_STARTED];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** Replica id -> drain start, for the pods that carry one. */
export function drainStartsByReplica(pods: readonly V1Pod[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pods) {
    const replicaId = p.metadata?.annotations?.[ANNOTATION_REPLICA];
    const at = drainStartOf(p);
    if (replicaId && at !== undefined) out.set(replicaId, at);
  }
  return out;
}

/** A pod annotation to write: the drain start of the replica it serves. */
export interface DrainMark {
  pod: string;
  replicaId: string;
  drainStartedAt: number;
}

/**
 * The pods whose annotation is missing or differs from their replica's drain start (draining rows with a
 * drain start only). A pod of a replica not draining is left alone: a replica never goes back from draining,
 * and a stopped pod is deleted with its annotation.
 */
export function drainMarks(pods: readonly V1Pod[], draining: readonly { id: string; drainStartedAt?: number | null }[]): DrainMark[] {
  const starts = new Map(draining.flatMap((r) => (r.drainStartedAt == null ? [] : [[r.id, r.drainStartedAt] as const])));
  const out: DrainMark[] = [];
  for (const p of pods) {
    const replicaId = p.metadata?.annotations?.[ANNOTATION_REPLICA];
    const at = replicaId === undefined ? undefined : starts.get(replicaId);
    if (replicaId === undefined || at === undefined || !p.metadata?.name || drainStartOf(p) === at) continue;
    out.push({ pod: p.metadata.name, replicaId, drainStartedAt: at });
  }
  return out;
}

/** Writes the marks on their pods (merge patches); a pod that cannot be marked is logged and tried again with the next write. */
export async function writeDrainMarks(client: KubeClient, marks: readonly DrainMark[], log: (line: string) => void): Promise<void> {
  for (const m of marks) {
    try {
      await client.core.patchNamespacedPod(
        { name: m.pod, namespace: client.namespace, body: { metadata: { annotations: { [ANNOTATION_DRAIN_STARTED]: String(m.drainStartedAt) } } } },
        MERGE_PATCH,
      );
    } catch (e) {
      log(`cluster: cannot mark pod ${m.pod} (replica ${m.replicaId}) draining: ${apiMessage(e)}`);
    }
  }
}
