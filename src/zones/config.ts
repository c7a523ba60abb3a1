/**
 * The zones file (`inferscale server --zones FILE`, or INFERSCALE_ZONES): where replicas may run. JSON or
 * YAML. `local` (processes on this machine) always exists; each Kubernetes zone names a cluster
 * (kubeconfig, or in-cluster credentials when none is given), a namespace, the images per engine and the
 * table that maps each GPU type to the node labels that find it.
 */
import { z } from 'zod';
import { InferscaleError } from '../core/errors.js';
import { LOCAL_COLD_START_MS } from '../domain/limits.js';
import { parseMemorySize } from '../placement/size.js';

const NAME_RE = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const GPU_TYPE_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;
/** a label key: optional DNS-subdomain prefix, then a name of up to 63 characters */
const LABEL_KEY_RE = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

const labelKey = z.string().regex(LABEL_KEY_RE, 'must be a Kubernetes label key, e.g. nvidia.com/gpu.product');
/** an extended resource name: a domain prefix, then a name (nvidia.com/gpu.shared, nvidia.com/gpumem) */
const extendedResource = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/,
    'must be an extended resource name such as nvidia.com/gpu.shared',
  );
/** a MIG profile as the GPU operator names it: compute slices, then memory in GB (1g.10gb, 3g.40gb) */
const MIG_PROFILE_RE = /^[1-7]g\.\d{1,3}gb$/;
const memorySize = z.string().refine((t) => {
  try {
    return parseMemorySize(t, 'memory') > 0;
  } catch {
    return false;
  }
}, 'must be a memory size such as 80Gi');

/**
 * One way to find nodes with this GPU: every label listed must match (a value in the list, or any value
 * when the list is empty). Alternatives are ORed (nodeSelectorTerms), in the order written.
 */
const alternative = z.record(labelKey, z.array(z.string().max(63)).max(32));

const gpuTypeSchema = z.strictObject({
  match: z.array(alternative).min(1, 'needs at least one label alternative').max(8),
  /** the most GPUs of this type the zone may hold (e.g. the Karpenter NodePool limit); none: elastic */
  maxGpus: z.number().int().min(0).max(100_000).optional(),
  /** the extended resource the device plugin offers */
  resource: z.string().default('nvidia.com/gpu'),
  /** per-replica CPU and memory requests, e.g. { cpu: "8", memory: "64Gi" } */
  requests: z.partialRecord(z.enum(['cpu', 'memory', 'ephemeral-storage']), z.string()).default({}),
  /** the memory of one GPU of this type, e.g. "80Gi": what a fractional replica's share is measured against (fractionalGpus) */
  memory: memorySize.optional(),
  /** the MIG profiles the nodes of this type offer (fractionalGpus mode mig), e.g. ["1g.10gb", "2g.20gb", "3g.40gb"] */
  migProfiles: z.array(z.string().regex(MIG_PROFILE_RE, 'must be a MIG profile such as 1g.10gb')).min(1).max(16).optional(),
});

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});

/**
 * Where replica pods keep the models they fetch (docs/engines.md, "The model cache on Kubernetes"): `pod`, an emptyDir
 * per pod (every cold start fetches); `node`, a hostPath directory shared by the pods of a node (fetched once
 * per node, under a lock); `pvc`, a ReadWriteMany claim shared by every pod of the zone (fetched once).
 */
const modelCacheSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('pod') }),
  z.strictObject({
    type: z.literal('node'),
    path: z
      .string()
      .regex(/^\/[^\0]*$/, 'must be an absolute path')
      .refine((p) => !p.split('/').includes('..'), 'must not contain ..')
      .default('/var/lib/inferscale/models'),
  }),
  z.strictObject({ type: z.literal('pvc'), claimName: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a PersistentVolumeClaim name') }),
]);
export type ModelCacheConfig = z.infer<typeof modelCacheSchema>;

/**
 * How a zone's spot nodes are told apart from its on-demand ones (issue #17, docs/spot.md). `preset` fills the
 * label and taints of a known provisioner; each may be written out instead, for any label. On-demand nodes are
 * those whose label has `onDemandValue`, or, when none is given, those without the spot value (GKE and AKS
 * label only their spot nodes).
 */
export const SPOT_PRESETS = {
  karpenter: { labelKey: 'karpenter.sh/capacity-type', spotValue: 'spot', onDemandValue: 'on-demand', taints: [] },
  gke: {
    labelKey: 'cloud.google.com/gke-spot',
    spotValue: 'true',
    onDemandValue: undefined,
    taints: [{ key: 'cloud.google.com/gke-spot', value: 'true', effect: 'NoSchedule' }],
  },
  aks: {
    labelKey: 'kubernetes.azure.com/scalesetpriority',
    spotValue: 'spot',
    onDemandValue: undefined,
    taints: [{ key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' }],
  },
} as const;
export type SpotPreset = keyof typeof SPOT_PRESETS;

const spotTaint = z.strictObject({
  key: labelKey,
  value: z.string().max(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const spotSchema = z
  .strictObject({
    preset: z.enum(Object.keys(SPOT_PRESETS) as [SpotPreset, ...SpotPreset[]]).optional(),
    labelKey: labelKey.optional(),
    spotValue: z.string().max(63).optional(),
    onDemandValue: z.string().max(63).optional(),
    /** the taints spot nodes carry, tolerated by spot pods only */
    taints: z.array(spotTaint).max(8).optional(),
    /** how long spot may be short before a replica asks for on-demand instead (SkyServe's dynamic fallback) */
    fallbackAfterSeconds: z.number().int().min(0).max(86_400).default(300),
  })
  .transform((s, ctx) => {
    const p = s.preset ? SPOT_PRESETS[s.preset] : undefined;
    const labelKey = s.labelKey ?? p?.labelKey;
    const spotValue = s.spotValue ?? p?.spotValue;
    if (!labelKey || !spotValue) {
      ctx.addIssue({ code: 'custom', message: 'needs a preset (karpenter, gke, aks) or a labelKey and spotValue' });
      return z.NEVER;
    }
    return {
      labelKey,
      spotValue,
      onDemandValue: s.onDemandValue ?? p?.onDemandValue,
      taints: s.taints ?? p?.taints.map((t) => ({ ...t })) ?? [],
      fallbackAfterSeconds: s.fallbackAfterSeconds,
    };
  });
export type SpotNodesConfig = z.output<typeof spotSchema>;

/**
 * How a fractional replica (`--gpu-memory`) asks for its share of a GPU in a Kubernetes zone, which has no
 * fractional `nvidia.com/gpu` (docs/kubernetes.md, "Fractional GPUs"):
 * - `time-slicing`: the NVIDIA GPU operator's time-slicing, with the shared resource renamed (each pod one
 *   slice); no memory isolation: the engine flag alone keeps a replica within its share. `slicesPerGpu`, when
 *   given, refuses a share above the GPU's memory divided by the slices (a full GPU of such replicas would not fit).
 * - `mps`: the operator's MPS sharing (same resource form); each client is limited to memory / slices, so `slicesPerGpu` is required.
 * - `hami`: HAMi's `nvidia.com/gpu: 1` plus `nvidia.com/gpumem` in MiB (enforced in the container by HAMi-core).
 * - `mig`: the smallest MIG profile of the GPU type (`gpuTypes.<type>.migProfiles`) that holds the memory, as
 *   `nvidia.com/mig-<profile>` (the device plugin's mixed strategy).
 */
const fractionalSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('time-slicing'),
    resource: extendedResource.default('nvidia.com/gpu.shared'),
    slicesPerGpu: z.number().int().min(2).max(64).optional(),
  }),
  z.strictObject({ mode: z.literal('mps'), resource: extendedResource.default('nvidia.com/gpu.shared'), slicesPerGpu: z.number().int().min(2).max(48) }),
  z.strictObject({
    mode: z.literal('hami'),
    resource: extendedResource.default('nvidia.com/gpu'),
    memoryResource: extendedResource.default('nvidia.com/gpumem'),
  }),
  z.strictObject({
    mode: z.literal('mig'),
    resourcePrefix: z
      .string()
      .regex(/^[a-z0-9.-]+\/[a-z0-9-]*$/, 'must be a resource prefix such as nvidia.com/mig-')
      .default('nvidia.com/mig-'),
  }),
]);
export type FractionalGpusConfig = z.output<typeof fractionalSchema>;

export const kubernetesZoneSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'must be a DNS label'),
  type: z.literal('kubernetes'),
  /** kubeconfig file; absent: in-cluster service account when running in a pod, else $KUBECONFIG / ~/.kube/config */
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  namespace: z.string().regex(NAME_RE, 'must be a DNS label').default('default'),
  /** who brings GPU nodes for pending pods: only changes the words of the pending reason */
  provisioner: z.enum(['karpenter', 'cluster-autoscaler', 'none']).default('karpenter'),
  /** expected node provisioning time, added to cold-start estimates and Retry-After */
  nodeProvisioningSeconds: z.number().int().min(0).max(3600).default(300),
  images: z.record(z.string(), z.string().min(1)).default({}),
  gpuTypes: z.record(z.string().regex(GPU_TYPE_RE, 'GPU type names are 1-32 of a-z 0-9 . _ -'), gpuTypeSchema),
  tolerations: z.array(toleration).default([]),
  /** the port engines listen on inside the pod */
  enginePort: z.number().int().min(1).max(65535).default(8000),
  /** preStop wait: endpoints and other clients stop sending before the engine gets SIGTERM */
  preStopSeconds: z.number().int().min(0).max(600).default(10),
  /** how long the startup probe lets a model load */
  modelLoadTimeoutSeconds: z.number().int().min(30).max(86_400).default(1800),
  /** annotate pods karpenter.sh/do-not-disrupt so consolidation never evicts a serving replica */
  doNotDisrupt: z.boolean().default(false),
  serviceAccountName: z.string().optional(),
  imagePullSecrets: z.array(z.string()).default([]),
  /** the Secret (in the namespace) whose key holds a Hugging Face token for pods fetching hf: models; none there: no token */
  hfTokenSecret: z
    .strictObject({ name: z.string().regex(NAME_RE, 'must be a DNS label'), key: z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, 'must be a Secret key') })
    .default({ name: 'hf-token', key: 'token' }),
  modelCache: modelCacheSchema.default({ type: 'pod' }),
  /** how spot nodes are told apart and tolerated; absent: the zone has no spot nodes (docs/spot.md) */
  spot: spotSchema.optional(),
  /** how fractional replicas (`--gpu-memory`) ask for a share of a GPU; absent: the zone runs whole GPUs only */
  fractionalGpus: fractionalSchema.optional(),
});
export type KubernetesZoneConfig = z.infer<typeof kubernetesZoneSchema>;
export type GpuTypeMapping = KubernetesZoneConfig['gpuTypes'][string];

const localZoneSchema = z.strictObject({ name: z.literal('local'), type: z.literal('local') });

/** Replicas in memory on the server's clock (src/providers/simulated): a zone to try deployments and policies on. */
const simulatedZoneSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'must be a DNS label'),
  type: z.literal('simulated'),
  gpuTypes: z.record(
    z.string().regex(GPU_TYPE_RE, 'GPU type names are 1-32 of a-z 0-9 . _ -'),
    z.strictObject({ maxGpus: z.number().int().min(0).optional() }),
  ),
  /** from start to ready (default: a local replica's, domain/limits.ts) */
  coldStartSeconds: z
    .number()
    .min(0)
    .max(3600)
    .default(LOCAL_COLD_START_MS / 1000),
  /** where every replica's engine answers (one shared engine); none: replicas have no address */
  engineUrl: z.string().url().optional(),
});
export type SimulatedZoneConfig = z.infer<typeof simulatedZoneSchema>;

export const zonesFileSchema = z.strictObject({
  zones: z.array(z.discriminatedUnion('type', [kubernetesZoneSchema, localZoneSchema, simulatedZoneSchema])).max(64),
});
export type ZonesFile = z.infer<typeof zonesFileSchema>;

/** Checks a parsed zones file; throws invalid_argument naming the field. YAML parsing is in load.ts. */
export function validateZonesFile(raw: unknown, source = 'zones file'): ZonesFile {
  const r = zonesFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    // a bad record key: zod reports "Invalid key in record" and nests the key's own problem
    const message = issue.code === 'invalid_key' ? `key "${String(issue.path.at(-1))}" ${issue.issues[0]?.message ?? 'is not valid'}` : issue.message;
    throw new InferscaleError('invalid_argument', `${source}: ${issue.path.join('.') || 'zones'}: ${message}`, { field: 'zones' });
  }
  const seen = new Set<string>();
  for (const zone of r.data.zones) {
    if (seen.has(zone.name)) throw new InferscaleError('invalid_argument', `${source}: zone "${zone.name}" is declared twice`, { field: 'zones' });
    seen.add(zone.name);
  }
  return r.data;
}
