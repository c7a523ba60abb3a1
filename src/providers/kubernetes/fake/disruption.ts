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
