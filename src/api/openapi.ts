/**
 * The OpenAPI 3.1 description of /api/v1, generated (zod-openapi) from the zod schemas that validate the
 * requests, and served at GET /api/v1/openapi.json. Every route of the API has one entry in API_OPERATIONS;
 * openapi.test.ts checks that against the routes the server's Hono app really has.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type oas31 } from 'zod-openapi';
import { createSchema, scaleSchema, updateSchema } from '../domain/validation.js';
import { inputSchema as autoscaleSchema } from '../autoscaler/spec.js';
import { createSchema as modelCreateSchema } from '../models/service.js';
import { gatewayReportSchema } from '../cluster/signals.js';
import { bodySchema as shutdownSchema } from '../server/shutdown-body.js';
import { BUILD_VERSION } from '../gateway/build-info.js';
import * as s from './openapi-schemas.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** who may call: the admin token, the servers' internal credential, or anyone */
type Auth = 'admin' | 'internal' | 'none';

export interface ApiOperation {
  method: Method;
  /** as Hono writes it, under /api/v1: /deployments/:name */
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; example: unknown };
  response: { status: number; description: string; schema?: z.ZodType; example?: unknown; contentType?: string };
  /** the error statuses it may answer besides 401 (and 500), each with the error body */
  errors?: number[];
}

const since = (dflt: string) =>
  z
    .string()
    .optional()
    .meta({ description: `a duration back from now (15m, 6h, 7d) or a date; default ${dflt}`, example: dflt });
const deleted = z.object({ deleted: z.string() });

export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/health',
    tag: 'server',
    auth: 'none',
    summary: 'Whether the API answers',
    response: { status: 200, description: 'up', schema: z.object({ status: z.literal('ok') }), example: { status: 'ok' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'server',
    auth: 'none',
    summary: 'This document',
    response: { status: 200, description: 'the OpenAPI 3.1 description of /api/v1', schema: z.record(z.string(), z.unknown()) },
  },
  {
    method: 'get',
    path: '/deployments',
    tag: 'deployments',
    auth: 'admin',
    summary: 'List deployments',
    response: { status: 200, description: 'every deployment', schema: z.object({ deployments: z.array(s.deploymentView) }) },
  },
  {
    method: 'post',
    path: '/deployments',
    tag: 'deployments',
    auth: 'admin',
    summary: 'Create a deployment (the answer carries its API key, once)',
    body: {
      schema: createSchema,
      example: { name: 'chat', modelName: 'llama-3.1-8b', engine: 'sim', gpuType: 'h100', gpuCount: 1, replicas: 1, labels: { team: 'search' } },
    },
    response: { status: 201, description: 'created', schema: s.deploymentView },
    errors: [400, 409, 507],
  },
  {
    method: 'get',
    path: '/deployments/:name',
    tag: 'deployments',
    auth: 'admin',
    summary: 'One deployment, with its autoscaler status',
    response: { status: 200, description: 'the deployment', schema: s.deploymentDetail },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/deployments/:name',
    tag: 'deployments',
    auth: 'admin',
    summary: 'Change a deployment (a rolling update when the engine or model changes)',
    body: { schema: updateSchema, example: { maxOngoingRequests: 64, labels: { team: 'ads' } } },
    response: { status: 200, description: 'the deployment as changed', schema: s.deploymentView },
    errors: [400, 404, 409],
  },
  {
    method: 'delete',
    path: '/deployments/:name',
    tag: 'deployments',
    auth: 'admin',
    summary: 'Delete a deployment (its replicas drain)',
    response: { status: 202, description: 'deletion started', schema: deleted, example: { deleted: 'chat' } },
    errors: [404],
  },
  {
    method: 'put',
    path: '/deployments/:name/autoscale',
    tag: 'deployments',
    auth: 'admin',
    summary: 'Turn autoscaling on, or change its spec',
    body: { schema: autoscaleSchema, example: { minReplicas: 0, maxReplicas: 4, targetOngoingRequests: 8, scaleToZeroAfterMs: '10m' } },
    response: { status: 200, description: 'the deployment', schema: s.deploymentView },
    errors: [400, 404],
  },
  {
    method: 'delete',
    path: '/deployments/:name/autoscale',
    tag: 'deployments',
    auth: 'admin',
    summary: 'Turn autoscaling off (the replica count stays)',
    response: { status: 200, description: 'the deployment', schema: s.deploymentView },
    errors: [404],
  },
  {
    method: 'post',
    path: '/deployments/:name/scale',
    tag: 'deployments',
    auth: 'admin',
    summary: 'Set the replica count by hand (refused while autoscaled)',
    body: { schema: scaleSchema, example: { replicas: 3 } },
    response: { status: 200, description: 'the deployment', schema: s.deploymentView },
    errors: [400, 404, 409],
  },
  {
    method: 'get',
    path: '/deployments/:name/logs',
    tag: 'deployments',
    auth: 'admin',
    summary: "The replicas' last log lines",
    query: z.object({ tail: z.string().optional().meta({ description: 'lines, default 100', example: '100' }) }),
    response: { status: 200, description: 'log lines', schema: z.object({ lines: z.array(z.string()) }) },
    errors: [404],
  },
  {
    method: 'get',
    path: '/deployments/:name/replicas',
    tag: 'deployments',
    auth: 'admin',
    summary: "The deployment's replicas",
    response: { status: 200, description: 'replicas', schema: z.object({ replicas: z.array(s.replicaView) }) },
    errors: [404],
  },
  {
    method: 'get',
    path: '/deployments/:name/events',
    tag: 'deployments',
    auth: 'admin',
    summary: "The deployment's events, newest first",
    query: z.object({
      limit: z.string().optional().meta({ description: '1-1000, default 100' }),
      kind: z.string().optional().meta({ description: 'only events of this kind' }),
    }),
    response: {
      status: 200,
      description: 'events',
      schema: z.object({ events: z.array(z.looseObject({ kind: z.string(), message: z.string(), at: z.string() })) }),
    },
    errors: [404],
  },
  {
    method: 'post',
    path: '/deployments/:name/reveal-api-key',
    tag: 'deployments',
    auth: 'admin',
    summary: "The deployment's API key",
    response: {
      status: 200,
      description: 'the key',
      schema: z.object({ name: z.string(), apiKey: z.string() }),
      example: { name: 'chat', apiKey: 'isk-0123456789abcdef' },
    },
    errors: [404],
  },
  {
    method: 'post',
    path: '/deployments/:name/rotate-api-key',
    tag: 'deployments',
    auth: 'admin',
    summary: 'A new API key; the previous one keeps working for graceSeconds',
    body: { schema: s.rotateKeyBody, example: { graceSeconds: 3600 } },
    response: {
      status: 200,
      description: 'the new key',
      schema: z.object({ name: z.string(), apiKey: z.string(), previousKeyValidUntil: z.string().nullable() }),
    },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/deployments/:name/metrics',
    tag: 'observability',
    auth: 'admin',
    summary: "The deployment's metrics history, as columns",
    query: z.object({ since: since('15m') }),
    response: { status: 200, description: 'history', schema: s.historyAnswer },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/deployments/:name/request-log',
    tag: 'observability',
    auth: 'admin',
    summary: "The deployment's recorded requests (no content), for `inferscale simulate --deployment`",
    query: z.object({ since: since('7d') }),
    response: {
      status: 200,
      description: 'rows',
      schema: s.requestLogAnswer,
      example: {
        deployment: 'chat',
        since: '2026-11-30T05:00:00.000Z',
        columns: ['at', 'promptTokens', 'completionTokens', 'ttftMs', 'status'],
        rows: [[1796619600000, 120, 48, 210.5, 200]],
      },
    },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/deployments/:name/export',
    tag: 'zones',
    auth: 'admin',
    summary: 'The Kubernetes objects that run the deployment in a zone',
    query: z.object({
      format: z.enum(['yaml', 'json']).optional().meta({ description: 'default yaml' }),
      zone: z.string().optional().meta({ description: "a Kubernetes zone (default: the deployment's)" }),
    }),
    response: { status: 200, description: 'a List of objects (YAML by default)', schema: z.string(), contentType: 'application/yaml' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/limits/gpu',
    tag: 'gpus',
    auth: 'admin',
    summary: 'GPU use and quotas per type',
    response: { status: 200, description: 'limits', schema: z.object({ limits: z.array(s.gpuLimit) }) },
  },
  {
    method: 'put',
    path: '/limits/gpu/:type',
    tag: 'gpus',
    auth: 'admin',
    summary: 'Set (or with null remove) the quota of a GPU type',
    body: { schema: s.gpuQuotaBody, example: { max: 8 } },
    response: { status: 200, description: 'limits', schema: z.object({ limits: z.array(s.gpuLimit) }) },
    errors: [400, 409],
  },
  {
    method: 'get',
    path: '/gpus',
    tag: 'gpus',
    auth: 'admin',
    summary: "This server's GPUs and the replica holding each",
    response: { status: 200, description: 'GPUs', schema: z.object({ gpus: z.array(s.gpuDevice) }) },
  },
  {
    method: 'get',
    path: '/models',
    tag: 'models',
    auth: 'admin',
    summary: 'The model store',
    response: { status: 200, description: 'models', schema: z.object({ models: z.array(s.modelView) }) },
  },
  {
    method: 'post',
    path: '/models',
    tag: 'models',
    auth: 'admin',
    summary: 'Add a model (a file, an http(s) URL or hf:ORG/REPO[/FILE]); the download runs in the background',
    body: { schema: modelCreateSchema, example: { name: 'qwen-0.5b', from: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf' } },
    response: { status: 201, description: 'the model, downloading', schema: s.modelView },
    errors: [400, 409],
  },
  {
    method: 'get',
    path: '/models/:name',
    tag: 'models',
    auth: 'admin',
    summary: 'One model',
    response: { status: 200, description: 'the model', schema: s.modelView },
    errors: [404],
  },
  {
    method: 'delete',
    path: '/models/:name',
    tag: 'models',
    auth: 'admin',
    summary: 'Delete a model (refused while a deployment uses it)',
    response: { status: 200, description: 'deleted', schema: deleted },
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/zones',
    tag: 'zones',
    auth: 'admin',
    summary: 'Where replicas can run: local and the Kubernetes zones',
    response: { status: 200, description: 'zones', schema: z.object({ zones: z.array(z.record(z.string(), z.unknown())) }) },
  },
  {
    method: 'get',
    path: '/cost',
    tag: 'cost',
    auth: 'admin',
    summary: 'GPU cost report',
    query: z.object({
      since: since('7d'),
      by: z.string().optional().meta({ description: 'group by deployment, gpuType or label:KEY', example: 'label:team' }),
    }),
    response: { status: 200, description: 'the report', schema: z.record(z.string(), z.unknown()) },
    errors: [400],
  },
  {
    method: 'get',
    path: '/cost/prices',
    tag: 'cost',
    auth: 'admin',
    summary: 'Price per GPU-hour of every GPU type',
    response: { status: 200, description: 'prices', schema: z.object({ prices: z.record(z.string(), z.unknown()) }) },
  },
  {
    method: 'put',
    path: '/cost/prices/:gpuType',
    tag: 'cost',
    auth: 'admin',
    summary: 'Set (or with null remove) the price of a GPU type',
    body: { schema: s.priceBody, example: { usdPerGpuHour: 2.5 } },
    response: { status: 200, description: 'prices', schema: z.object({ prices: z.record(z.string(), z.unknown()) }) },
    errors: [400],
  },
  {
    method: 'post',
    path: '/server/shutdown',
    tag: 'server',
    auth: 'admin',
    summary: 'Stop the server (`inferscale down`), with "stop" draining and stopping its replicas first',
    body: { schema: shutdownSchema, example: { replicas: 'stop' } },
    response: {
      status: 202,
      description: 'stopping; the caller waits for the data dir lock to be released',
      schema: z.object({ stopping: z.literal(true), replicas: z.enum(['keep', 'stop']), localReplicas: z.number().int() }),
      example: { stopping: true, replicas: 'stop', localReplicas: 2 },
    },
    errors: [400],
  },
  {
    method: 'get',
    path: '/cluster',
    tag: 'cluster',
    auth: 'admin',
    summary: 'HA mode: who leads, and the follower gateways that report',
    response: { status: 200, description: 'the cluster', schema: s.clusterView },
  },
  {
    method: 'post',
    path: '/internal/gateway-signals',
    tag: 'cluster',
    auth: 'internal',
    summary: "A follower gateway's load report (the servers' own call)",
    body: {
      schema: gatewayReportSchema,
      example: { gateway: 'inferscale-1', deployments: [], wake: [], requests: [['d_01', 1796619600000, 120, 48, 210.5, 200, 'req-1']] },
    },
    response: { status: 200, description: 'taken; the next rows of the copy', schema: z.looseObject({ ok: z.boolean() }) },
    errors: [400],
  },
];

/** /deployments/:name -> /deployments/{name} */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const ERROR_DESCRIPTION: Record<number, string> = {
  400: 'invalid_argument (the field at fault is named) or unsupported',
  401: 'unauthorized: token missing or wrong',
  404: 'not_found',
  409: 'conflict, already_exists, quota_exceeded, insufficient_capacity or autoscaling_enabled',
  500: 'internal',
  507: 'storage_full',
};

function operation(op: ApiOperation): ZodOpenApiOperationObject {
  const params = [...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  const errorResponse = (status: number) => ({
    description: ERROR_DESCRIPTION[status] ?? 'error',
    content: { 'application/json': { schema: s.errorBody } },
  });
  const statuses = [...(op.auth === 'none' ? [] : [401]), ...(op.errors ?? []), 500];
  return {
    operationId: `${op.method}${op.path.replace(/[/:{}-]+(\w)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: op.summary,
    tags: [op.tag],
    security: op.auth === 'none' ? [] : [{ [op.auth === 'admin' ? 'adminToken' : 'internalToken']: [] }],
    requestParams: {
      ...(params.length ? { path: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
      ...(op.query ? { query: op.query } : {}),
    },
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: op.body.schema, example: op.body.example } } } } : {}),
    responses: {
      [String(op.response.status)]: {
        description: op.response.description,
        ...(op.response.schema
          ? {
              content: {
                [op.response.contentType ?? 'application/json']: {
                  schema: op.response.schema,
                  ...(op.response.example === undefined ? {} : { example: op.response.example }),
                },
              },
            }
          : {}),
      },
      ...Object.fromEntries(statuses.map((st) => [String(st), errorResponse(st)])),
    },
  };
}

/** The OpenAPI 3.1 document of API_OPERATIONS. */
export function openApiDocument(operations: readonly ApiOperation[] = API_OPERATIONS): oas31.OpenAPIObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of operations) {
    const p = `/api/v1${openApiPath(op.path)}`;
    paths[p] = { ...paths[p], [op.method]: operation(op) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'inferscale API',
      version: BUILD_VERSION,
      description:
        'The REST API of an inferscale server (deployments, models, GPUs, cost, HA). Errors answer {"error":{"code","message","field"}}. The OpenAI-compatible data plane (/v1, /d/NAME/v1) is not described here.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: "the server's admin token (INFERSCALE_TOKEN; the CLI reads it from the data dir)" },
        internalToken: { type: 'http', scheme: 'bearer', description: "the servers' internal credential (HA mode), for /api/v1/internal/* only" },
      },
    },
    paths,
  });
}

let cached: string | undefined;
/** The document as JSON text, built once. */
export function openApiJson(): string {
  cached ??= JSON.stringify(openApiDocument());
  return cached;
}
