/** The labels and annotations that tie Kubernetes objects to inferscale deployments and replicas. */
import { createHash } from 'node:crypto';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'inferscale';
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_DEPLOYMENT = 'inferscale.dev/deployment';
/** the hash of the pod template: one Kubernetes Deployment per template, so inferscale rolls replicas itself */
export const LABEL_TEMPLATE = 'inferscale.dev/template';
export const LABEL_GPU_TYPE = 'inferscale.dev/gpu-type';
/** on a pod: the inferscale replica it serves as */
export const ANNOTATION_REPLICA = 'inferscale.dev/replica';
/** lower goes first when the ReplicaSet removes pods (Kubernetes >= 1.22) */
export const ANNOTATION_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
export const ANNOTATION_DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';
/** the lowest int32: the pod chosen for removal ranks below every other */
export const DELETION_COST_VICTIM = String(-2147483648);

/** Selects every object inferscale manages in a namespace. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/** A short stable hash (like Kubernetes' pod-template-hash) of any JSON value. */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

/** The Kubernetes Deployment for one inferscale deployment and one pod template. */
export function workloadName(deployment: string, templateHash: string): string {
  return `${deployment}-${templateHash}`;
}
