/**
 * Which pods a ReplicaSet removes first when scaled down: Kubernetes' ActivePodsWithRanks ordering
 * (pkg/controller/controller_utils.go, with PodDeletionCost on by default since 1.22):
 *  1. not assigned to a node before assigned
 *  2. phase Pending before Unknown before Running
 *  3. not ready before ready
 *  4. lower controller.kubernetes.io/pod-deletion-cost before higher
 *  5. more related pods on the same node (doubled up) before fewer
 *  6. ready for a shorter time before longer (both ready)
 *  7. more container restarts before fewer
 *  8. newer before older
 */
import type { KObj } from './cluster.js';

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export function isPodReady(p: KObj): boolean {
  return (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
}

function readySince(p: KObj): number {
  const c = (p.status?.conditions ?? []).find((x: { type: string }) => x.type === 'Ready');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

function deletionCost(p: KObj): number {
  const v = p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  const n = v === undefined ? 0 : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

function restarts(p: KObj): number {
  return (p.status?.containerStatuses ?? []).reduce((s: number, c: { restartCount?: number }) => s + (c.restartCount ?? 0), 0);
}

/** Negative when `a` should be deleted before `b`. `rank`: related pods on the pod's node. */
export function deletionOrder(a: KObj, b: KObj, rank: (p: KObj) => number): number {
  const assigned = (p: KObj) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: KObj) => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: KObj) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
  if (rank(a) !== rank(b)) return rank(b) - rank(a);
  if (isPodReady(a) && isPodReady(b) && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return Date.parse(b.metadata.creationTimestamp ?? '0') - Date.parse(a.metadata.creationTimestamp ?? '0');
}

/** The `count` pods to delete, first to go first. */
export function podsToDelete(pods: readonly KObj[], count: number): KObj[] {
  const onNode = new Map<string, number>();
  for (const p of pods) if (p.spec?.nodeName) onNode.set(p.spec.nodeName, (onNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: KObj) => (p.spec?.nodeName ? (onNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => deletionOrder(a, b, rank)).slice(0, count);
}
