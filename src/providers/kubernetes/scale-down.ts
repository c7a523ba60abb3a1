/**
 * Scale-down that removes the right pod. The controller chose the replica (fewest in-flight requests)
 * and the gateway drained it; here its pod is marked with the lowest pod-deletion-cost, the replica
 * count is lowered through the scale subresource, and the pod the ReplicaSet actually removed is
 * checked. The ReplicaSet deletes unscheduled, pending and not-ready pods before any deletion cost counts,
 * so another pod may go instead: then the chosen pod stays in rotation, serving as the replica whose
 * pod went.
 */
import { ANNOTATION_DELETION_COST, ANNOTATION_REPLICA, DELETION_COST_VICTIM } from './labels.js';
import { isLive, type PodView } from './pods.js';

export interface ScaleDownPort {
  /** the pod as the watch cache has it now */
  view(podName: string): PodView | undefined;
  livePods(workload: string): PodView[];
  /** the replica a pod serves as, if any */
  replicaOfPod(podName: string): string | undefined;
  /** binds a pod to a replica (in memory; the annotation is written by the caller) */
  rebind(podName: string, replicaId: string | undefined): void;
  setScale(workload: string, replicas: number): Promise<number>;
  annotate(podName: string, annotations: Record<string, string | null>): Promise<boolean>;
  /** resolves with cond's first truthy value, re-checked on every watch event; undefined after timeoutMs */
  waitUntil<T>(cond: () => T | undefined, timeoutMs: number): Promise<T | undefined>;
  log(line: string): void;
}

export interface ScaleDownResult {
  replicaId: string;
  workload: string;
  /** the pod chosen to go */
  chosen: string | undefined;
  /** the pod the ReplicaSet removed */
  removed: string | undefined;
  /** set when the chosen pod stays: the replica it now serves as (or "" when it waits for one) */
  chosenServesAs?: string;
}

export async function scaleDownChoosing(
  port: ScaleDownPort,
  victim: { replicaId: string; workload: string; podName?: string },
  replicasAfter: number,
  timeoutMs: number,
): Promise<ScaleDownResult> {
  const { replicaId, workload } = victim;
  const pod = victim.podName ? port.view(victim.podName) : undefined;
  const result: ScaleDownResult = { replicaId, workload, chosen: pod?.name, removed: undefined };
  if (!pod || !isLive(pod)) {
    // no pod of its own yet (or already going): lowering the count cancels a pod not yet made
    await port.setScale(workload, replicasAfter);
    result.removed = pod?.name;
    return result;
  }
  const before = port.livePods(workload).map((p) => p.name);
  if (before.length <= replicasAfter) {
    // fewer pods than replicas (one is still being created): the chosen pod stays and serves a waiting replica
    await port.setScale(workload, replicasAfter);
    await port.annotate(pod.name, { [ANNOTATION_REPLICA]: null, [ANNOTATION_DELETION_COST]: null });
    port.rebind(pod.name, undefined);
    result.chosenServesAs = '';
    return result;
  }
  await port.annotate(pod.name, { [ANNOTATION_DELETION_COST]: DELETION_COST_VICTIM });
  await port.setScale(workload, replicasAfter);
  const gone = (n: string) => {
    const v = port.view(n);
    return !v || !isLive(v);
  };
  result.removed = await port.waitUntil(() => (gone(pod.name) ? pod.name : before.find(gone)), timeoutMs);
  if (result.removed === undefined) {
    port.log(
      `kubernetes: scaled ${workload} to ${replicasAfter} but no pod went within ${Math.round(timeoutMs / 1000)} s; pod ${pod.name} stays marked for removal`,
    );
    return result;
  }
  if (result.removed === pod.name) return result;
  const other = port.replicaOfPod(result.removed);
  await port.annotate(pod.name, { [ANNOTATION_DELETION_COST]: null, [ANNOTATION_REPLICA]: other ?? null });
  port.rebind(pod.name, other);
  result.chosenServesAs = other ?? '';
  port.log(
    `kubernetes: scaling ${workload} down, the ReplicaSet removed pod ${result.removed} instead of the drained ${pod.name} (it deletes pending and not-ready pods first); ` +
      `${pod.name} stays in rotation${other ? ` as replica ${other}` : ''}`,
  );
  return result;
}
