/**
 * The state every inferscale replica shares, kept in the cluster where `kubectl get` shows it: one
 * InferenceDeployment custom resource per deployment (spec: the desired state; status: what the leader's
 * controller observed) and one Secret per deployment holding the SHA-256 hash of its API key (gateways
 * authenticate with the hash) and the key sealed with the servers' shared secret (AES-GCM, for
 * reveal-api-key after a failover); the plain key is never stored in the cluster.
 */
import type { V1CustomResourceDefinition, V1Secret } from '@kubernetes/client-node';
import type { DeploymentRow } from '../../store/store.js';
import { formatDuration, parseDuration } from '../../autoscaler/units.js';
import { DEPLOYMENT_BOUNDS } from '../../domain/limits.js';
import { LABEL_DEPLOYMENT, LABEL_MANAGED_BY, MANAGED_BY } from './labels.js';
import { CAPACITY_TYPES, type CapacitySpec, type CapacityType, DEFAULT_CAPACITY, floorField } from '../../domain/capacity.js';
import { formatMemory, parseMemorySize } from '../../placement/size.js';

export const CRD_GROUP = 'inferscale.dev';
export const CRD_VERSION = 'v1alpha1';
export const CRD_PLURAL = 'inferencedeployments';
export const CRD_KIND = 'InferenceDeployment';
export const ANNOTATION_ID = 'inferscale.dev/id';
export const ANNOTATION_CREATED_AT = 'inferscale.dev/created-at';
/** held on every resource of a deployment until the deployment is gone (a `kubectl delete` drains it first) */
export const FINALIZER = 'inferscale.dev/deployment';
/** the spec as the leader last wrote it: what gateways and a new leader go by, and what an edit is measured against */
export const ANNOTATION_APPLIED_SPEC = 'inferscale.dev/applied-spec';
export const keySecretName = (deployment: string) => `inferscale-key-${deployment}`;

const str = { type: 'string' };
/** what parseMemorySize takes: a number and Mi, Gi or Ti (any case, optional B) */
const GPU_MEMORY_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*[MmGgTt][Ii][Bb]?\\s*$';
/** the on-demand floor's upper bound, as the API checks it (src/domain/capacity.ts) */
const FLOOR_MAX = floorField.maxValue!;
const int = { type: 'integer' };
/** a duration: text such as "5m" or "1h30m" (as written), or a number of milliseconds */
const duration = { x_kubernetes_int_or_string: true, description: 'a duration such as "90s", "5m" or "1h30m", or a number of milliseconds' };
/** `items` is written as given (no field-name mapping): plain wire names, fresh objects (no YAML anchors) */
const condition = {
  type: 'object',
  required: ['type', 'status'],
  properties: {
    type: { type: 'string' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string' },
    message: { type: 'string' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer' },
  },
};

export function inferenceDeploymentCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${CRD_PLURAL}.${CRD_GROUP}`, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: { plural: CRD_PLURAL, singular: 'inferencedeployment', kind: CRD_KIND, shortNames: ['idep'], categories: ['inferscale'] },
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          // `kubectl scale idep NAME --replicas N` (refused while the deployment is autoscaled: see SpecApplied)
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.readyReplicas' } },
          additionalPrinterColumns: [
            { name: 'Zone', type: 'string', jsonPath: '.spec.zone' },
            { name: 'Model', type: 'string', jsonPath: '.spec.modelName' },
            { name: 'GPU', type: 'string', jsonPath: '.spec.gpuType' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Status', type: 'string', jsonPath: '.status.status' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  // what `kubectl apply` of a new resource must give; the leader fills in the rest
                  required: ['modelName'],
                  properties: {
                    modelName: str,
                    engine: str,
                    engineParams: str,
                    zone: str,
                    gpuType: str,
                    gpuCount: { ...int, minimum: 1 },
                    // a fractional deployment: its replicas' memory on one GPU, as the API takes it ("10Gi")
                    gpuMemory: { ...str, maxLength: 32, pattern: GPU_MEMORY_PATTERN },
                    // the capacity type and the on-demand floor (issue #17), with the API's bounds
                    capacity: { ...str, _enum: [...CAPACITY_TYPES] },
                    onDemandFloor: { ...int, minimum: 0, maximum: FLOOR_MAX },
                    replicas: { ...int, minimum: 0 },
                    maxOngoingRequests: int,
                    maxQueuedRequests: int,
                    queueTimeout: duration,
                    drainTimeout: duration,
                    // what resources written before durations became text hold; read, never written
                    queueTimeoutMs: int,
                    drainTimeoutMs: int,
                    generation: int,
                    labels: { type: 'object', additionalProperties: str },
                    autoscale: { type: 'object', nullable: true, x_kubernetes_preserve_unknown_fields: true },
                    apiKeySecret: str,
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    status: str,
                    statusDetails: str,
                    readyReplicas: int,
                    everReady: { type: 'boolean' },
                    observedAt: str,
                    coldStartMs: int,
                    observedGeneration: int,
                    conditions: {
                      type: 'array',
                      items: condition,
                      x_kubernetes_list_type: 'map',
                      x_kubernetes_list_map_keys: ['type'],
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

export interface InferenceDeploymentResource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: Date;
  };
  spec: Record<string, unknown> & { replicas: number };
  status?: Record<string, unknown>;
}

/** A deployment as the cluster carries it: the row, with its capacity type and on-demand floor (kept apart from the row locally). */
export type MirroredDeployment = DeploymentRow & { capacity: CapacitySpec };

/** The spec fields of what a deployment keeps beside its row: written only where they differ from the defaults, so older resources read the same. */
function extraSpec(d: DeploymentRow, capacity: CapacitySpec | undefined): Record<string, unknown> {
  const c = capacity ?? DEFAULT_CAPACITY;
  return {
    ...(d.gpuMemoryMb ? { gpuMemory: formatMemory(d.gpuMemoryMb) } : {}),
    ...(c.capacity !== DEFAULT_CAPACITY.capacity ? { capacity: c.capacity } : {}),
    ...(c.onDemandFloor !== DEFAULT_CAPACITY.onDemandFloor ? { onDemandFloor: c.onDemandFloor } : {}),
  };
}

/**
 * `coldStartMs`: the leader's estimate (measured cold starts, else the zone's default), for followers'
 * Retry-After; `capacity`: the deployment's capacity type and floor (absent: on-demand).
 */
export function toResource(d: DeploymentRow, readyReplicas: number, coldStartMs?: number, capacity?: CapacitySpec): InferenceDeploymentResource {
  const spec = {
    modelName: d.modelName,
    engine: d.engine,
    engineParams: d.engineParams,
    zone: d.zone,
    gpuType: d.gpuType,
    gpuCount: d.gpuCount,
    ...extraSpec(d, capacity),
    replicas: d.replicas,
    maxOngoingRequests: d.maxOngoingRequests,
    maxQueuedRequests: d.maxQueuedRequests,
    queueTimeout: durationText(d.queueTimeoutMs),
    drainTimeout: durationText(d.drainTimeoutMs),
    generation: d.generation,
    labels: d.labels,
    autoscale: d.autoscale,
    apiKeySecret: keySecretName(d.name),
  };
  return {
    apiVersion: `${CRD_GROUP}/${CRD_VERSION}`,
    kind: CRD_KIND,
    metadata: {
      name: d.name,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_DEPLOYMENT]: d.name },
      annotations: { [ANNOTATION_ID]: d.id, [ANNOTATION_CREATED_AT]: new Date(d.createdAt).toISOString(), [ANNOTATION_APPLIED_SPEC]: JSON.stringify(spec) },
      finalizers: [FINALIZER],
    },
    spec,
    status: {
      status: d.status,
      statusDetails: d.statusDetails,
      readyReplicas,
      everReady: d.everReady,
      ...(coldStartMs !== undefined ? { coldStartMs: Math.round(coldStartMs) } : {}),
    },
  };
}

/** A spec duration as written: "5m" where that reads back exactly, else "1234ms". */
export function durationText(ms: number): string {
  const text = formatDuration(ms);
  return parseDuration(text) === ms ? text : `${Math.round(ms)}ms`;
}

/** the spec's duration fields, and the field in milliseconds each stands for (what the API and resources written before took) */
const DURATIONS = { queueTimeout: 'queueTimeoutMs', drainTimeout: 'drainTimeoutMs' } as const;

/**
 * A spec (or an edit of one) with its durations in milliseconds, as `POST /deployments` takes them:
 * `queueTimeout: "5m"` (or a number of ms) becomes `queueTimeoutMs: 300000`; a `queueTimeoutMs` of a resource
 * written before stays. Text that is not a duration is an `invalid_argument` naming the field.
 */
export function specInMs(spec: Record<string, unknown>): Record<string, unknown> {
  const out = { ...spec };
  for (const [field, msField] of Object.entries(DURATIONS)) {
    if (!(field in out)) continue;
    const v = out[field];
    delete out[field];
    if (v === null || v === undefined) continue;
    out[msField] = typeof v === 'number' ? v : parseDuration(String(v), field);
  }
  return out;
}

export function keySecret(d: DeploymentRow): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: keySecretName(d.name), labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_DEPLOYMENT]: d.name } },
    data: {
      'key-sha256': d.apiKeyHash.toString('base64'),
      'key-sealed': Buffer.from(d.apiKeySealed).toString('base64'),
      // a rotated key's predecessor and until when it is accepted (ms since the epoch, as text)
      ...(d.previousKeyHash && d.previousKeyUntil
        ? { 'previous-key-sha256': d.previousKeyHash.toString('base64'), 'previous-key-until': Buffer.from(String(d.previousKeyUntil)).toString('base64') }
        : {}),
    },
  };
}

/** The spec the leader last wrote (undefined: none recorded, or not JSON). */
export function appliedSpec(r: InferenceDeploymentResource): Record<string, unknown> | undefined {
  const raw = r.metadata.annotations?.[ANNOTATION_APPLIED_SPEC];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A deployment row as a gateway replica needs it, from the resource and its key Secret (undefined when
 * incomplete). The spec is the one the leader last wrote: an edit made in the cluster counts only once
 * the leader has accepted it.
 */
export function fromResource(r: InferenceDeploymentResource, secret: V1Secret | undefined): MirroredDeployment | undefined {
  let s: Record<string, any>;
  let gpuMemoryMb: number | undefined;
  try {
    s = specInMs(appliedSpec(r) ?? r.spec);
    gpuMemoryMb = typeof s.gpuMemory === 'string' ? parseMemorySize(s.gpuMemory, 'gpuMemory') : undefined;
  } catch {
    return undefined;
  }
  // being deleted (kubectl delete, or a deletion through the API): no longer served, its replicas drain
  const deleting = !!r.metadata.deletionTimestamp;
  const hash = secret?.data?.['key-sha256'];
  const id = r.metadata.annotations?.[ANNOTATION_ID];
  if (!hash || !id) return undefined;
  const st = (r.status ?? {}) as Record<string, any>;
  const sealed = secret?.data?.['key-sealed'];
  const previous = secret?.data?.['previous-key-sha256'];
  const previousUntil = Number(Buffer.from(secret?.data?.['previous-key-until'] ?? '', 'base64').toString());
  const createdAt = Date.parse(r.metadata.annotations?.[ANNOTATION_CREATED_AT] ?? '');
  return {
    id,
    name: r.metadata.name,
    modelName: s.modelName,
    engine: s.engine,
    engineParams: s.engineParams ?? '',
    gpuType: s.gpuType,
    gpuCount: s.gpuCount,
    ...(gpuMemoryMb ? { gpuMemoryMb } : {}),
    capacity: capacityOf(s),
    replicas: deleting ? 0 : s.replicas,
    zone: s.zone,
    status: st.status ?? 'creating',
    statusDetails: st.statusDetails ?? '',
    // a resource written without them (kubectl apply): the API's defaults, from the one limits module
    maxOngoingRequests: s.maxOngoingRequests ?? DEPLOYMENT_BOUNDS.maxOngoingRequests.default,
    maxQueuedRequests: s.maxQueuedRequests ?? DEPLOYMENT_BOUNDS.maxQueuedRequests.default,
    queueTimeoutMs: s.queueTimeoutMs ?? DEPLOYMENT_BOUNDS.queueTimeoutMs.default,
    drainTimeoutMs: s.drainTimeoutMs ?? DEPLOYMENT_BOUNDS.drainTimeoutMs.default,
    autoscale: s.autoscale ?? null,
    labels: s.labels ?? {},
    apiKeyHash: Buffer.from(hash, 'base64'),
    apiKeySealed: sealed ? Buffer.from(sealed, 'base64').toString() : '',
    previousKeyHash: previous && previousUntil > 0 ? Buffer.from(previous, 'base64') : null,
    previousKeyUntil: previous && previousUntil > 0 ? previousUntil : null,
    createdAt: Number.isFinite(createdAt) ? createdAt : 0,
    updatedAt: 0,
    generation: s.generation ?? 1,
    everReady: !!st.everReady,
    deleting,
  };
}

/** A spec's capacity type and floor; values the schema would refuse (a resource written without it) read as the defaults. */
function capacityOf(s: Record<string, unknown>): CapacitySpec {
  const capacity = CAPACITY_TYPES.includes(s.capacity as CapacityType) ? (s.capacity as CapacityType) : DEFAULT_CAPACITY.capacity;
  const floor = floorField.safeParse(s.onDemandFloor);
  return { capacity, onDemandFloor: floor.success ? floor.data : DEFAULT_CAPACITY.onDemandFloor };
}
