/**
 * Zod schemas of what /api/v1 answers (and of the few bodies the handlers check by hand), for the OpenAPI
 * document (openapi.ts). The request bodies that are validated by zod are not repeated here: the document
 * uses the very schemas that validate them (src/domain/validation.ts, src/autoscaler/spec.ts, ...).
 */
import { z } from 'zod';
import 'zod-openapi';

const iso = z.string().meta({ description: 'a date, ISO 8601', example: '2026-12-07T05:00:00.000Z' });
const isoOrNull = iso.nullable();

/** The one error body of the REST API (src/core/errors.ts restError). */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'stable error code (src/core/errors.ts), e.g. invalid_argument, not_found, unauthorized' }),
      message: z.string(),
      field: z.string().nullable().meta({ description: 'the request field at fault, when there is one' }),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({
    id: 'Error',
    description: 'Every error answer of /api/v1 (a Retry-After header comes with the retryable ones)',
    example: { error: { code: 'not_found', message: 'deployment "chat" not found', field: null, details: {} } },
  });

export const replicaView = z
  .object({
    id: z.string(),
    state: z.string().meta({ description: 'pending, starting, ready, draining, stopped or failed' }),
    stateReason: z.string(),
    gpus: z.array(z.number().int()),
    pid: z.number().int().nullable(),
    port: z.number().int().nullable(),
    generation: z.number().int(),
    createdAt: iso,
    startedAt: isoOrNull,
    readyAt: isoOrNull,
    stoppedAt: isoOrNull,
    coldStartMs: z.number().nullable(),
    engine: z.record(z.string(), z.unknown()).optional().meta({ description: "the engine's own load from its /metrics" }),
  })
  .meta({ id: 'Replica' });

const DEPLOYMENT_EXAMPLE = {
  id: 'd_01',
  name: 'chat',
  status: 'ready',
  statusDetails: '1/1 replicas ready',
  modelName: 'llama-3.1-8b',
  engine: 'sim',
  engineParams: '',
  gpuType: 'h100',
  gpuCount: 1,
  replicas: 1,
  readyReplicas: 1,
  totalGpus: 1,
  zone: 'local',
  url: 'http://127.0.0.1:8080/d/chat/v1',
  maxOngoingRequests: 32,
  maxQueuedRequests: 256,
  queueTimeoutMs: 30000,
  drainTimeoutMs: 30000,
  autoscale: null,
  labels: { team: 'search' },
  createdAt: '2026-12-07T05:00:00.000Z',
  updatedAt: '2026-12-07T05:00:00.000Z',
  replicaDetails: [],
};

export const deploymentView = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.string(),
    statusDetails: z.string(),
    modelName: z.string(),
    engine: z.string(),
    engineParams: z.string(),
    gpuType: z.string(),
    gpuCount: z.number().int(),
    replicas: z.number().int(),
    readyReplicas: z.number().int(),
    totalGpus: z.number().int(),
    zone: z.string(),
    url: z.string().meta({ description: "the deployment's OpenAI-compatible base URL" }),
    maxOngoingRequests: z.number().int(),
    maxQueuedRequests: z.number().int(),
    queueTimeoutMs: z.number().int(),
    drainTimeoutMs: z.number().int(),
    autoscale: z.record(z.string(), z.unknown()).nullable().meta({ description: 'the autoscaling spec in force; null: scaled by hand' }),
    labels: z.record(z.string(), z.string()),
    createdAt: iso,
    updatedAt: iso,
    replicaDetails: z.array(replicaView),
    apiKey: z.string().optional().meta({ description: 'only in the answer to its creation' }),
  })
  .meta({ id: 'Deployment', example: DEPLOYMENT_EXAMPLE });

export const deploymentDetail = deploymentView
  .extend({ autoscaler: z.record(z.string(), z.unknown()).nullable().meta({ description: "the autoscaler's last decision and signals" }) })
  .meta({ id: 'DeploymentDetail', example: { ...DEPLOYMENT_EXAMPLE, autoscaler: null } });

export const gpuLimit = z.object({
  gpuType: z.string(),
  used: z.number(),
  max: z.number(),
  quota: z.number().nullable(),
  inventory: z.number(),
});

export const gpuDevice = z.object({
  index: z.number().int(),
  type: z.string(),
  product: z.string(),
  memoryMb: z.number(),
  virtual: z.boolean(),
  heldBy: z.string().nullable().meta({ description: 'the replica holding it' }),
  whole: z.boolean().meta({ description: 'held whole by one replica (not shared by fractional ones)' }),
  usedMb: z.number(),
  freeMb: z.number(),
  replicas: z.array(z.string()).meta({ description: 'the replicas on it' }),
  sleepers: z
    .array(z.string())
    .meta({ description: 'sleeping replicas bound to it: they hold none of its memory; placement keeps their room while another GPU fits' }),
});

export const modelView = z
  .looseObject({
    name: z.string(),
    source: z.string(),
    kind: z.string(),
    state: z.string(),
    stateDetails: z.string(),
    progress: z.number().nullable(),
    progressText: z.string(),
    bytesDone: z.number(),
    sizeBytes: z.number().nullable(),
    sha256: z.string().nullable(),
    expectedSha256: z.string().nullable(),
    path: z.string(),
  })
  .meta({ id: 'Model' });

/** PUT /limits/gpu/{type}: checked by hand in src/api/app.ts. */
export const gpuQuotaBody = z.object({ max: z.number().int().min(0).nullable().meta({ description: 'null removes the quota' }) });
/** PUT /cost/prices/{gpuType}: checked by hand in src/cost/cost-api.ts. */
export const priceBody = z.object({ usdPerGpuHour: z.number().min(0).nullable().meta({ description: 'null removes the price' }) });
/** POST /deployments/{name}/rotate-api-key: checked by parseGrace in src/service/deployments.ts. */
export const rotateKeyBody = z.object({
  graceSeconds: z.number().int().min(0).nullable().optional().meta({ description: 'how long the previous key keeps working (default: the server default)' }),
});

export const historyAnswer = z.object({
  deployment: z.string(),
  resolutionMs: z.number(),
  since: iso,
  latest: z.record(z.string(), z.unknown()).nullable(),
  columns: z.record(z.string(), z.array(z.number().nullable())).meta({ description: 'one array per figure: at, requestRate, ongoing, queued, ...' }),
});

export const requestLogAnswer = z.object({
  deployment: z.string(),
  since: iso,
  columns: z.array(z.string()),
  rows: z.array(z.array(z.number().nullable())),
});

export const clusterView = z.object({
  identity: z.string(),
  role: z.string().meta({ description: 'single, leader or follower' }),
  leader: z.string().nullable(),
  gateways: z.array(z.object({ gateway: z.string(), ageMs: z.number(), copyRowsLeft: z.number().nullable() })),
});
