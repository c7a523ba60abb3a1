import { z } from 'zod';
import { InferscaleError } from '../core/errors.js';
import { ENGINES } from './types.js';
import { capacityField, floorField } from './capacity.js';
import { DEPLOYMENT_BOUNDS, GPU_COUNT, MAX_REPLICAS, type FieldBound } from './limits.js';

/** DNS label: lowercase letters, digits and '-', starts with a letter, ends alphanumeric, 1-63 chars. */
const NAME_RE = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const name = z.string().regex(NAME_RE, 'must be a DNS label: 1-63 lowercase letters, digits or "-", starting with a letter and ending with a letter or digit');
const labelKey = z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, 'label keys are 1-63 of a-z 0-9 . _ -');

/** An integer within a bound, its default when absent; the error names the range. */
function bounded(b: FieldBound) {
  const range = `must be between ${b.min} and ${b.max}`;
  return z.number().int('must be an integer').min(b.min, range).max(b.max, range).default(b.default);
}

export const createSchema = z.strictObject({
  name,
  modelName: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
  engine: z.enum(ENGINES, { error: `must be one of ${ENGINES.join(', ')}` }).default('sim'),
  engineParams: z.string().max(4096, 'must be at most 4096 characters').default(''),
  gpuType: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, 'must be 1-32 of a-z 0-9 . _ - (e.g. a100, h100, rtx4090)')
    .optional(),
  gpuCount: bounded({ min: GPU_COUNT.min, max: GPU_COUNT.max, default: 1 }),
  /** a fractional deployment: memory on one GPU per replica, e.g. "6Gi" (instead of gpuCount) */
  gpuMemory: z.string().max(32, 'must be a size such as 6Gi').optional(),
  replicas: bounded({ min: 0, max: MAX_REPLICAS, default: 1 }),
  /** default: the server's default zone (local; in HA mode its Kubernetes zone) */
  zone: z.string().optional(),
  maxOngoingRequests: bounded(DEPLOYMENT_BOUNDS.maxOngoingRequests),
  maxQueuedRequests: bounded(DEPLOYMENT_BOUNDS.maxQueuedRequests),
  queueTimeoutMs: bounded(DEPLOYMENT_BOUNDS.queueTimeoutMs),
  drainTimeoutMs: bounded(DEPLOYMENT_BOUNDS.drainTimeoutMs),
  labels: z.record(labelKey, z.string().max(63, 'label values are at most 63 characters')).default({}),
  /** on-demand (default), spot or mixed (src/domain/capacity.ts) */
  capacity: capacityField.optional(),
  onDemandFloor: floorField.optional(),
});
export type CreateInput = z.infer<typeof createSchema>;

export const updateSchema = z.strictObject({
  engineParams: createSchema.shape.engineParams.unwrap().optional(),
  modelName: createSchema.shape.modelName.optional(),
  maxOngoingRequests: createSchema.shape.maxOngoingRequests.unwrap().optional(),
  maxQueuedRequests: createSchema.shape.maxQueuedRequests.unwrap().optional(),
  queueTimeoutMs: createSchema.shape.queueTimeoutMs.unwrap().optional(),
  drainTimeoutMs: createSchema.shape.drainTimeoutMs.unwrap().optional(),
  labels: createSchema.shape.labels.unwrap().optional(),
  gpuCount: z.unknown().optional(),
  gpuType: z.unknown().optional(),
  capacity: capacityField.optional(),
  onDemandFloor: floorField.optional(),
  gpuMemory: z.unknown().optional(),
});
export type UpdateInput = z.infer<typeof updateSchema>;

export const scaleSchema = z.strictObject({ replicas: createSchema.shape.replicas.unwrap() });

/** Parses `input` with `schema`, turning the first problem into an invalid_argument naming the field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? String(issue.keys?.[0]) : 'body';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field "${issue.keys.join('", "')}"`;
  else if (issue.code === 'invalid_type') message = `${issue.message.replace(/^Invalid input: /, '')}`;
  throw new InferscaleError('invalid_argument', `${field}: ${message}`, { field });
}
