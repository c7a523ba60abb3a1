/**
 * Spot reclaims in the fake API (issue #17): what the control plane does to a pod whose node is going away. It
 * sets the pod's DisruptionTarget condition (the notice), then evicts it; the node itself may then be deleted.
 * Verified only against the fake, not against a live cluster.
 */
import type { FakeCluster } from './cluster.js';

/** The notice: the DisruptionTarget condition on a pod (reason as Kubernetes writes it for a node's taint manager). */
export function markDisruptionTarget(c: FakeCluster, namespace: string, name: string, reason = 'DeletionByTaintManager'): void {
  c.mutate(
    'pods',
    namespace,
    name,
    (p) => {
      p.status ??= {};
      const conds = (p.status.conditions ??= []) as { type: string }[];
      const others = conds.filter((x) => x.type !== 'DisruptionTarget');
      p.status.conditions = [...others, { type: 'DisruptionTarget', status: 'True', reason, lastTransitionTime: new Date(c.now()).toISOString() }];
    },
    'status',
  );
}

/** The pods scheduled on a node, by name. */
export function podsOnNode(c: FakeCluster, node: string): { namespace: string; name: string }[] {
  return c
    .list('pods')
    .items.filter((p) => p.spec?.nodeName === node)
    .map((p) => ({ namespace: p.metadata.namespace!, name: p.metadata.name }));
}

/**
 * A spot node reclaimed: each of its pods gets the notice, is evicted and finished, and the node is deleted
 * (what the cloud, Karpenter's interruption handling and the pod garbage collector do between them, in order).
 */
export function reclaimNode(c: FakeCluster, node: string): void {
  const pods = podsOnNode(c, node);
  for (const p of pods) markDisruptionTarget(c, p.namespace, p.name);
  for (const p of pods) {
    c.delete('pods', p.namespace, p.name, 0);
    c.finalize('pods', p.namespace, p.name);
  }
  c.delete('nodes', undefined, node);
}

/** A taint added to a node (e.g. Karpenter's `karpenter.sh/disrupted:NoSchedule` when it starts disrupting it). */
export function taintNode(c: FakeCluster, node: string, taint: { key: string; value?: string; effect: string }): void {
  c.mutate('nodes', undefined, node, (n) => {
    n.spec ??= {};
    n.spec.taints = [...(n.spec.taints ?? []), taint];
  });
}

/** The node's Ready condition as the node controller sets it (False or Unknown: NotReady). */
export function setNodeReady(c: FakeCluster, node: string, status: 'True' | 'False' | 'Unknown'): void {
  c.mutate(
    'nodes',
    undefined,
    node,
    (n) => {
      n.status ??= {};
      const others = ((n.status.conditions ?? []) as { type: string }[]).filter((x) => x.type !== 'Ready');
      n.status.conditions = [...others, { type: 'Ready', status, lastTransitionTime: new Date(c.now()).toISOString() }];
    },
    'status',
  );
}

export interface ReclaimNotice {
  /** from the notice to the deletion of the node's pods (a cloud's spot notice is 2 minutes; tests use seconds) */
  noticeMs: number;
  /** the taint put on the node with the notice (default Karpenter's `karpenter.sh/disrupted:NoSchedule`) */
  taint?: { key: string; value?: string; effect: string };
  /** the longest the node's pods may take to terminate once deleted (default 60 s); past it the helper throws */
  terminateTimeoutMs?: number;
}

/**
 * A spot node reclaimed with notice, in order and in real time: the node is tainted and each of its pods gets
 * the DisruptionTarget condition; after `noticeMs` the pods are deleted with their own grace period (the fake
 * kubelet, e.g. `PodEngines`, stops their engines and removes them); once all are gone the node is deleted.
 * Resolves when the node is gone.
 */
export async function reclaimNodeWithNotice(c: FakeCluster, node: string, o: ReclaimNotice): Promise<void> {
  taintNode(c, node, o.taint ?? { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' });
  const pods = podsOnNode(c, node);
  for (const p of pods) markDisruptionTarget(c, p.namespace, p.name);
  await new Promise((r) => setTimeout(r, o.noticeMs));
  for (const p of pods) if (c.tryGet('pods', p.namespace, p.name)) c.delete('pods', p.namespace, p.name);
  const deadline = Date.now() + (o.terminateTimeoutMs ?? 60_000);
  while (podsOnNode(c, node).length) {
    if (Date.now() > deadline) throw new Error(`pods on ${node} still terminating ${o.terminateTimeoutMs ?? 60_000} ms after their deletion`);
    await new Promise((r) => setTimeout(r, 20));
  }
  c.delete('nodes', undefined, node);
}
