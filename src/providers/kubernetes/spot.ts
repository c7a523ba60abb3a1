/**
 * Spot and on-demand pods of a Kubernetes zone (issue #17, docs/spot.md). A replica's capacity type adds one
 * requirement to every node selector term of its pod (the zone's spot label, `In` the spot value, or for
 * on-demand `In` the on-demand value, else `NotIn` the spot value) and, for spot, tolerations of the spot
 * taints. Different templates make different Kubernetes Deployments, so a mixed deployment runs two workloads
 * behind its one Service, each scaled through its scale subresource. Pure.
 */
import type { V1Node, V1NodeSelectorTerm, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import type { CapacitySpec, NodeCapacity } from '../../domain/capacity.js';
import type { SpotNodesConfig } from '../../zones/config.js';

/** on a pod template: the capacity type its pods run on */
export const LABEL_CAPACITY = 'inferscale.dev/capacity-type';

export function capacityRequirement(spot: SpotNodesConfig, capacity: NodeCapacity): { key: string; operator: string; values: string[] } {
  if (capacity === 'spot') return { key: spot.labelKey, operator: 'In', values: [spot.spotValue] };
  return spot.onDemandValue !== undefined
    ? { key: spot.labelKey, operator: 'In', values: [spot.onDemandValue] }
    : { key: spot.labelKey, operator: 'NotIn', values: [spot.spotValue] };
}

/** The GPU type's terms, each narrowed to nodes of `capacity`. */
export function termsOn(terms: V1NodeSelectorTerm[], spot: SpotNodesConfig, capacity: NodeCapacity): V1NodeSelectorTerm[] {
  const req = capacityRequirement(spot, capacity);
  return terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), { ...req, values: [...req.values] }] }));
}

/**
 * Whether a deployment of capacity type `capacity` renders its pods as in a zone without spot nodes: an
 * on-demand deployment in a zone whose spot nodes carry a NoSchedule or NoExecute taint (GKE, AKS, or taints
 * declared) is kept off them by the taint alone, so its pod template (and its hash, the name of its
 * Kubernetes Deployment) stays what it was before the zone declared spot nodes, and adding `spot` to a zone
 * rolls none of its replicas. Where spot nodes are not tainted (Karpenter's capacity-type label only), the
 * on-demand requirement is what keeps such pods off spot nodes, so the template has it.
 */
export function rendersWithoutSpot(spot: SpotNodesConfig | undefined, capacity: CapacitySpec['capacity']): boolean {
  if (!spot) return true;
  return capacity === 'on-demand' && spot.taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

/** Spot pods tolerate the zone's spot taints; on-demand pods do not, so they never land on spot nodes. */
export function spotTolerations(spot: SpotNodesConfig, capacity: NodeCapacity): V1Toleration[] {
  if (capacity !== 'spot') return [];
  return spot.taints.map((t) =>
    t.value === undefined ? { key: t.key, operator: 'Exists', effect: t.effect } : { key: t.key, operator: 'Equal', value: t.value, effect: t.effect },
  );
}

/** the well-known node label of a node's zone (availability zone) */
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

/**
 * Spot pods of a deployment spread over zones (skew at most 1, a preference: a pod still schedules where only
 * one zone has spot): one zone's reclaim then takes a share of its spot replicas, not all of them. Measured in
 * the simulator's cloud model, where holding every spot replica in the one zone that had spot made mixed cost
 * more than on-demand under scarce spot (docs/spot.md). Karpenter and the scheduler both honour it.
 * `podLabels` selects every spot pod of the deployment, whatever its template.
 */
export function spotSpread(capacity: NodeCapacity, podLabels: Record<string, string>): V1TopologySpreadConstraint[] {
  if (capacity !== 'spot') return [];
  return [
    {
      maxSkew: 1,
      topologyKey: ZONE_TOPOLOGY_KEY,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...podLabels, [LABEL_CAPACITY]: 'spot' } },
    },
  ];
}

export { chooseCapacity, type CapacityChoiceInput } from '../../domain/capacity-choice.js';

/** The pod condition the control plane sets when it is about to evict a pod (node drain, spot reclaim, preemption). */
export const DISRUPTION_TARGET = 'DisruptionTarget';

/**
 * Taints that say a node is going away: Karpenter's disruption taint (v1 `karpenter.sh/disrupted`, earlier
 * `karpenter.sh/disruption`), GKE's impending termination, the AWS node termination handler's spot notice, the
 * cluster autoscaler's scale-down, and the node controller's unreachable / not-ready.
 */
export const RECLAIM_TAINTS = [
  'karpenter.sh/disrupted',
  'karpenter.sh/disruption',
  'cloud.google.com/impending-node-termination',
  'aws-node-termination-handler/spot-itn',
  'ToBeDeletedByClusterAutoscaler',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/not-ready',
];

/** Why a node's pods should leave rotation now (a reclaim taint, or Ready not True), or undefined. */
export function nodeReclaiming(node: V1Node | undefined): string | undefined {
  if (!node) return undefined;
  const taint = (node.spec?.taints ?? []).find((t) => RECLAIM_TAINTS.includes(t.key));
  if (taint) return `node ${node.metadata?.name} tainted ${taint.key}`;
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') return `node ${node.metadata?.name} NotReady`;
  return undefined;
}
