/**
 * The `status.conditions` of an InferenceDeployment, the way Kubernetes tools read them (`kubectl wait
 * --for=condition=Ready`, Argo CD and Flux health checks): Ready, Progressing and Degraded, plus SpecApplied,
 * which says whether the last change made in the cluster (`kubectl scale`, `kubectl edit`) was accepted.
 * A pure function of the deployment as it stands and the conditions last written: a condition keeps its
 * lastTransitionTime while its status stays the same.
 */
import type { DeploymentStatus } from '../../domain/types.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ConditionInput {
  status: DeploymentStatus;
  statusDetails: string;
  /** desired replicas */
  desired: number;
  ready: number;
  autoscaled: boolean;
  /** the resource's metadata.generation this status describes */
  generation?: number;
  /** what came of a change made in the cluster in this round (absent: none was made) */
  edit?: { refused: boolean; message: string; code?: string };
}

const PROGRESSING: Partial<Record<DeploymentStatus, string>> = {
  creating: 'Creating',
  deploying: 'Deploying',
  scaling: 'Scaling',
  updating: 'Updating',
  deleting: 'Deleting',
};

type Plain = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

function ready(i: ConditionInput): Plain {
  const counts = `${i.ready}/${i.desired} replicas ready`;
  if (i.status === 'deleting') return { type: 'Ready', status: 'False', reason: 'Deleting', message: 'the deployment is being deleted' };
  if (i.desired === 0)
    return i.autoscaled
      ? { type: 'Ready', status: 'True', reason: 'ScaledToZero', message: 'no replica runs; the first request starts one (a cold start)' }
      : { type: 'Ready', status: 'False', reason: 'Stopped', message: 'scaled to 0 replicas by hand' };
  if (i.ready >= i.desired) return { type: 'Ready', status: 'True', reason: 'ReplicasReady', message: counts };
  if (i.ready > 0) return { type: 'Ready', status: 'False', reason: 'ReplicasUnavailable', message: counts };
  return { type: 'Ready', status: 'False', reason: 'NoReplicaReady', message: i.statusDetails ? `${counts}: ${i.statusDetails}` : counts };
}

function progressing(i: ConditionInput): Plain {
  const reason = PROGRESSING[i.status];
  if (reason) return { type: 'Progressing', status: 'True', reason, message: i.statusDetails || `${i.ready}/${i.desired} replicas ready` };
  if (i.status === 'error') return { type: 'Progressing', status: 'False', reason: 'ReplicasFailing', message: i.statusDetails || 'replicas keep failing' };
  return { type: 'Progressing', status: 'False', reason: 'Settled', message: `${i.ready}/${i.desired} replicas ready` };
}

function degraded(i: ConditionInput): Plain {
  if (i.status === 'error') return { type: 'Degraded', status: 'True', reason: 'ReplicasFailing', message: i.statusDetails || 'replicas keep failing' };
  if (i.ready > 0 && i.ready < i.desired && !PROGRESSING[i.status])
    return { type: 'Degraded', status: 'True', reason: 'ReplicasUnavailable', message: `${i.ready}/${i.desired} replicas ready` };
  return { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no replica is failing' };
}

/** What came of a change made in the cluster, as a reason (of the SpecApplied condition, and of the Event that says it). */
export function editReason(edit: { refused: boolean; code?: string }): 'EditApplied' | 'EditRefused' | 'ScaleRefused' {
  if (!edit.refused) return 'EditApplied';
  return edit.code === 'autoscaling_enabled' ? 'ScaleRefused' : 'EditRefused';
}

function specApplied(i: ConditionInput, previous: Condition | undefined): Plain {
  if (i.edit) return { type: 'SpecApplied', status: i.edit.refused ? 'False' : 'True', reason: editReason(i.edit), message: i.edit.message };
  // no change this round: what was said about the last one stands
  if (previous) return { type: previous.type, status: previous.status, reason: previous.reason, message: previous.message };
  return { type: 'SpecApplied', status: 'True', reason: 'Applied', message: 'the spec is the one inferscale runs' };
}

/** The conditions to write, given those last written (`previous`, possibly absent or malformed) and `now`. */
export function deploymentConditions(i: ConditionInput, previous: unknown, now: number): Condition[] {
  const prev = lastWritten(previous);
  return stamp([ready(i), progressing(i), degraded(i), specApplied(i, prev.get('SpecApplied'))], prev, now, i.generation);
}

/** The conditions of a resource applied in the cluster that no deployment could be made from (`message`: why). */
export function createRefusedConditions(message: string, previous: unknown, now: number, generation?: number): Condition[] {
  const refused = (type: string, status: ConditionStatus): Plain => ({ type, status, reason: 'CreateRefused', message });
  return stamp(
    [refused('Ready', 'False'), refused('Progressing', 'False'), refused('Degraded', 'True'), refused('SpecApplied', 'False')],
    lastWritten(previous),
    now,
    generation,
  );
}

function lastWritten(previous: unknown): Map<string, Condition> {
  const prev = Array.isArray(previous) ? (previous as Condition[]).filter((c) => c && typeof c.type === 'string') : [];
  return new Map(prev.map((c) => [c.type, c]));
}

/** A condition keeps its lastTransitionTime while its status stays the same. */
function stamp(conditions: Plain[], previous: Map<string, Condition>, now: number, generation: number | undefined): Condition[] {
  return conditions.map((c) => {
    const before = previous.get(c.type);
    const lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : new Date(now).toISOString();
    return { ...c, lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
  });
}
