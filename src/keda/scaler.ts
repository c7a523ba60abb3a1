import { InferscaleError, invalid } from '../core/errors.js';

/**
 * The decisions behind inferscale's KEDA external scaler, as functions of plain data (the gRPC wiring is
 * in server.ts, the contract for users in docs/keda.md).
 *
 * A ScaledObject's trigger metadata (`scalerMetadata`) picks what it sees:
 * - `deployment` (required): the inferscale deployment name. Missing or malformed: invalid_argument
 *   (gRPC INVALID_ARGUMENT); no such deployment: not_found (gRPC NOT_FOUND). Both name the field.
 * - `metric`: `desiredReplicas` (default), `ongoingRequests` or `queuedRequests`.
 * - `target`: the value one replica of the scaled workload should carry, a number from 0.001 to 1000000
 *   (KEDA keeps targets in thousandths); default 1 for desiredReplicas, 8 for the other two.
 * Other keys (KEDA's own `scalerAddress`, TLS settings) are ignored.
 *
 * The metric is named `inferscale-<deployment>-<metric in kebab case>`, e.g.
 * `inferscale-chat-desired-replicas`: deployment names are DNS labels, so the name is lowercase and
 * valid for Kubernetes. Its value is the deployment's current count; KEDA's HPA divides it by the target
 * (AverageValue), so `desiredReplicas` with target 1 asks for the replica count inferscale decided.
 * A deployment is active when it has requests in flight or queued, or inferscale wants replicas.
 */

export interface KedaDeploymentSignals {
  /** the replica count inferscale's autoscaler (or a manual scale) asks for now */
  desiredReplicas: number;
  readyReplicas: number;
  /** requests in flight at replicas */
  ongoing: number;
  /** requests waiting in the gateway queue */
  queued: number;
}

export const KEDA_METRICS = ['desiredReplicas', 'ongoingRequests', 'queuedRequests'] as const;
export type KedaMetric = (typeof KEDA_METRICS)[number];

export const TARGET_MIN = 0.001;
export const TARGET_MAX = 1_000_000;
const DEFAULT_TARGET: Record<KedaMetric, number> = { desiredReplicas: 1, ongoingRequests: 8, queuedRequests: 8 };
const KEBAB: Record<KedaMetric, string> = {
  desiredReplicas: 'desired-replicas',
  ongoingRequests: 'ongoing-requests',
  queuedRequests: 'queued-requests',
};
/** inferscale deployment names are DNS labels (src/domain/validation.ts) */
const DEPLOYMENT_RE = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DECIMAL_RE = /^\d+(\.\d+)?$/;

/** What one ScaledObject trigger asks about, parsed from its scalerMetadata. */
export interface KedaTrigger {
  deployment: string;
  metric: KedaMetric;
  target: number;
  metricName: string;
}

export interface KedaMetricSpec {
  metricName: string;
  targetSize: number;
  targetSizeFloat: number;
}

export interface KedaMetricValue {
  metricName: string;
  metricValue: number;
  metricValueFloat: number;
}

export function metricNameFor(deployment: string, metric: KedaMetric): string {
  return `inferscale-${deployment}-${KEBAB[metric]}`;
}

/** Parses a trigger's scalerMetadata; an error is returned, not thrown. */
export function parseScalerMetadata(md: Record<string, string> | undefined | null): KedaTrigger | InferscaleError {
  const deployment = md?.deployment?.trim() ?? '';
  if (!deployment) return invalid('deployment', 'scalerMetadata.deployment is required: the name of an inferscale deployment');
  if (!DEPLOYMENT_RE.test(deployment)) {
    return invalid('deployment', `"${deployment}" is not an inferscale deployment name (a DNS label: 1-63 of a-z 0-9 -)`);
  }
  const metricRaw = md?.metric?.trim() || 'desiredReplicas';
  if (!(KEDA_METRICS as readonly string[]).includes(metricRaw)) {
    return invalid('metric', `must be one of ${KEDA_METRICS.join(', ')} (got "${metricRaw}")`);
  }
  const metric = metricRaw as KedaMetric;
  const targetRaw = md?.target?.trim();
  let target = DEFAULT_TARGET[metric];
  if (targetRaw !== undefined && targetRaw !== '') {
    target = DECIMAL_RE.test(targetRaw) ? Number(targetRaw) : NaN;
    if (!(target >= TARGET_MIN && target <= TARGET_MAX)) {
      return invalid('target', `must be a number from ${TARGET_MIN} to ${TARGET_MAX} (got "${targetRaw}")`);
    }
  }
  return { deployment, metric, target, metricName: metricNameFor(deployment, metric) };
}

export function unknownDeployment(deployment: string): InferscaleError {
  return new InferscaleError('not_found', `deployment: inferscale deployment "${deployment}" not found (scalerMetadata.deployment)`, {
    field: 'deployment',
    name: deployment,
  });
}

/** Parses the metadata and looks the deployment up: what every RPC starts with. */
export function resolveTrigger(
  md: Record<string, string> | undefined | null,
  lookup: (deployment: string) => KedaDeploymentSignals | undefined,
): { trigger: KedaTrigger; signals: KedaDeploymentSignals } | InferscaleError {
  const trigger = parseScalerMetadata(md);
  if (trigger instanceof InferscaleError) return trigger;
  const signals = lookup(trigger.deployment);
  return signals ? { trigger, signals } : unknownDeployment(trigger.deployment);
}

/** A count as KEDA should see it: finite and not negative. */
const count = (x: number): number => (Number.isFinite(x) && x > 0 ? x : 0);

export function metricSpec(t: KedaTrigger): KedaMetricSpec {
  // targetSize is what KEDA releases without the float fields read; newer ones read targetSizeFloat
  return { metricName: t.metricName, targetSize: Math.max(1, Math.round(t.target)), targetSizeFloat: t.target };
}

export function metricValue(t: KedaTrigger, s: KedaDeploymentSignals): KedaMetricValue {
  const v = count(t.metric === 'desiredReplicas' ? s.desiredReplicas : t.metric === 'ongoingRequests' ? s.ongoing : s.queued);
  return { metricName: t.metricName, metricValue: Math.round(v), metricValueFloat: v };
}

export function isActive(s: KedaDeploymentSignals): boolean {
  return count(s.ongoing) + count(s.queued) > 0 || count(s.desiredReplicas) > 0;
}

export type ActivityUpdate = { kind: 'push'; active: boolean } | { kind: 'unchanged' } | { kind: 'gone' };

/**
 * What a StreamIsActive stream does when a deployment's signals may have changed: push the activity
 * when it differs from the last one pushed (or nothing was pushed yet), or end when the deployment is gone.
 */
export function nextActivity(lastPushed: boolean | undefined, s: KedaDeploymentSignals | undefined): ActivityUpdate {
  if (!s) return { kind: 'gone' };
  const active = isActive(s);
  return active === lastPushed ? { kind: 'unchanged' } : { kind: 'push', active };
}
