/** What a replica pod's object says about it: bound replica, readiness, and why it is not serving yet. */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { toMs } from './client.js';
import { ANNOTATION_REPLICA, LABEL_DEPLOYMENT, LABEL_TEMPLATE, workloadName } from './labels.js';

export interface PodView {
  name: string;
  deployment: string;
  /** the Kubernetes Deployment the pod belongs to */
  workload: string;
  replicaId: string | undefined;
  ip: string | undefined;
  ready: boolean;
  /** has a deletion timestamp: out of rotation at once */
  terminating: boolean;
  /** phase Failed or Succeeded: will not serve again */
  finished: boolean;
  /** the DisruptionTarget condition: its node is being reclaimed or drained; out of rotation at once (spot.ts) */
  disrupted?: boolean;
  nodeName: string | undefined;
  /** the scheduler found no node: waiting for one to be provisioned */
  unschedulable: string | undefined;
  createdAt: number;
  /** why a started container is not serving, e.g. ImagePullBackOff, CrashLoopBackOff; or an init container's (the model fetch) failure, with its message */
  waitingReason: string | undefined;
  restarts: number;
}

/** An init container that failed (it exited non-zero, or waits to be retried): its name, reason and last message. */
function initFailure(statuses: readonly V1ContainerStatus[]): string | undefined {
  for (const c of statuses) {
    const ended = c.state?.terminated ?? c.lastState?.terminated;
    const reason = c.state?.waiting?.reason;
    if (!(ended && ended.exitCode !== 0) && !(reason && reason !== 'PodInitializing')) continue;
    // the last line of what it said (terminationMessagePolicy FallbackToLogsOnError), kept short
    const message = ended?.message?.trim().split('\n').pop()?.slice(0, 400);
    return `${c.name}: ${reason ?? ended?.reason ?? 'failed'}${message ? `: ${message}` : ''}`;
  }
  return undefined;
}

export function podView(p: V1Pod): PodView {
  const labels = p.metadata?.labels ?? {};
  const conds = p.status?.conditions ?? [];
  const sched = conds.find((c) => c.type === 'PodScheduled');
  const waiting =
    initFailure(p.status?.initContainerStatuses ?? []) ??
    (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find((r) => !!r && r !== 'ContainerCreating');
  return {
    name: p.metadata?.name ?? '',
    deployment: labels[LABEL_DEPLOYMENT] ?? '',
    workload: workloadName(labels[LABEL_DEPLOYMENT] ?? '', labels[LABEL_TEMPLATE] ?? ''),
    replicaId: p.metadata?.annotations?.[ANNOTATION_REPLICA],
    ip: p.status?.podIP ?? undefined,
    ready: conds.some((c) => c.type === 'Ready' && c.status === 'True'),
    terminating: !!p.metadata?.deletionTimestamp,
    finished: p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded',
    disrupted: conds.some((c) => c.type === 'DisruptionTarget' && c.status === 'True'),
    nodeName: p.spec?.nodeName ?? undefined,
    unschedulable: !p.spec?.nodeName && sched?.status === 'False' ? (sched.message ?? sched.reason ?? 'unschedulable') : undefined,
    createdAt: toMs(p.metadata?.creationTimestamp) ?? 0,
    waitingReason: waiting,
    restarts: [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((s, c) => s + (c.restartCount ?? 0), 0),
  };
}

export const isLive = (v: PodView) => !v.terminating && !v.finished && !v.disrupted;

/** Where a pod's engine listens (undefined until the pod has an IP). */
export type Target = { host: string; port: number } | undefined;

/** Where a pod's engine listens by default: its IP and the zone's engine port. */
export const podAddressOn =
  (enginePort: number) =>
  (p: PodView): Target =>
    p.ip ? { host: p.ip, port: enginePort } : undefined;

/** The base URL the gateway sends a pod's requests to (IPv6 addresses in brackets). */
export function targetUrl(t: NonNullable<Target>): string {
  return `http://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

const PROVISIONER: Record<string, string> = { karpenter: 'Karpenter', 'cluster-autoscaler': 'cluster autoscaler', none: 'no node provisioner' };

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The words a user sees on a replica that is not ready yet, with its age. */
export function describePod(v: PodView | undefined, provisioner: string, now: number, requestedAt: number): string {
  if (!v) return `waiting for the ReplicaSet to create a pod (${formatAge(now - requestedAt)})`;
  const age = formatAge(now - v.createdAt);
  if (v.unschedulable) return `waiting for a GPU node (${PROVISIONER[provisioner] ?? provisioner}) for ${age}: ${v.unschedulable}`;
  if (!v.nodeName) return `pod ${v.name} waiting for the scheduler (${age})`;
  if (v.waitingReason) return `pod ${v.name} on ${v.nodeName}: ${v.waitingReason}${v.restarts ? ` (${v.restarts} restarts)` : ''} (${age})`;
  if (!v.ready) return `pod ${v.name} on ${v.nodeName}: loading the model (${age})`;
  return `pod ${v.name} on ${v.nodeName}: ready`;
}
