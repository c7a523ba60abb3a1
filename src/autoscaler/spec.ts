/**
 * The autoscale spec as a whole: defaults, validation (one zod schema for shapes and ranges, then the
 * checks that span fields), and a display form. The API, the CLI (through flags.ts) and the simulator
 * all build specs here, so a spec that passes here is valid everywhere.
 */
import { z } from 'zod';
import { InferscaleError, invalid } from '../core/errors.js';
import { formatScheduleRule, parseScheduleRule } from './schedule.js';
import { isValidTimeZone } from './timezone.js';
import { IDLE_MODES, type AutoscaleSpec, type ScheduleRule } from './types.js';
import { formatDuration, formatRate, parseDuration, parseRate } from './units.js';
import { MAX_REPLICAS } from '../domain/limits.js';
import { DEFAULT_POLICY, LIVE_POLICY_NAMES } from './policies.js';

export { parseDuration, parseRate, formatDuration, formatRate } from './units.js';

/** Defaults; docs/autoscaling.md says why each value. */
export const DEFAULT_AUTOSCALE: Readonly<AutoscaleSpec> = Object.freeze({
  minReplicas: 1,
  maxReplicas: 4,
  targetOngoingRequests: 4,
  upscaleDelayMs: 0,
  downscaleDelayMs: 10 * 60_000,
  maxScaleUpPerMinute: 128,
  scaleToZeroAfterMs: 5 * 60_000,
  schedules: [],
  timeZone: 'UTC',
  forecast: true,
});

export const LIMITS = {
  replicas: MAX_REPLICAS,
  targetOngoingRequests: 10_000,
  ttftP95Ms: 10 * 60_000,
  upscaleDelayMs: 3_600_000,
  downscaleDelayMs: 86_400_000,
  scaleToZeroAfterMs: 7 * 86_400_000,
  maxScaleUpPerMinute: 1000,
  targetQpsPerReplica: 100_000,
} as const;

/** What the API and the CLI may send: every field optional, durations as ms or "5m", rates as n or "4/min". */
export interface AutoscaleInput {
  minReplicas?: number;
  maxReplicas?: number;
  targetOngoingRequests?: number;
  /** null clears an inherited target */
  ttftP95Ms?: number | string | null;
  targetQueueLength?: number | null;
  upscaleDelayMs?: number | string;
  downscaleDelayMs?: number | string;
  maxScaleUpPerMinute?: number | string;
  scaleToZeroAfterMs?: number | string;
  /** rule texts, or rules as stored (their text is parsed again) */
  schedules?: Array<string | Pick<ScheduleRule, 'text'>>;
  timeZone?: string;
  forecast?: boolean;
  /** the policy that scales (src/autoscaler/policies.ts, live ones); absent: the one in force, else ours */
  policy?: string;
  /** SkyServe's target requests per second per replica; null clears it */
  targetQpsPerReplica?: number | null;
  /** what a replica taken down becomes: sleep or stop (the default) */
  idle?: string;
}

const count = (max: number, min: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const positive = (max: number) => z.number({ error: 'must be a number' }).positive('must be greater than 0').max(max, `must be at most ${max}`);
const duration = z.union([z.number().finite(), z.string()], { error: 'must be a duration in ms or text like "5m"' });

export const inputSchema = z.strictObject(
  {
    minReplicas: count(LIMITS.replicas, 0).optional(),
    maxReplicas: count(LIMITS.replicas, 1).optional(),
    targetOngoingRequests: positive(LIMITS.targetOngoingRequests).optional(),
    ttftP95Ms: z.union([z.number().finite(), z.string(), z.null()]).optional(),
    targetQueueLength: z.union([positive(LIMITS.targetOngoingRequests), z.null()]).optional(),
    upscaleDelayMs: duration.optional(),
    downscaleDelayMs: duration.optional(),
    maxScaleUpPerMinute: z.union([z.number().finite(), z.string()]).optional(),
    scaleToZeroAfterMs: duration.optional(),
    schedules: z.array(z.union([z.string(), z.looseObject({ text: z.string() })])).optional(),
    timeZone: z.string().min(1, 'must not be empty').optional(),
    forecast: z.boolean({ error: 'must be true or false' }).optional(),
    policy: z.string({ error: 'must be a policy name' }).optional(),
    targetQpsPerReplica: z.union([positive(LIMITS.targetQpsPerReplica), z.null()]).optional(),
    idle: z.string({ error: 'must be sleep or stop' }).optional(),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown field` : undefined) },
);

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('') || 'autoscale';
}

function toMs(v: number | string, field: string): number {
  return typeof v === 'number' ? v : parseDuration(v, field);
}

function within(field: string, v: number, lo: number, hi: number, show = formatDuration): void {
  if (!Number.isFinite(v) || v < lo || v > hi) throw invalid(field, `must be between ${show(lo)} and ${show(hi)} (got ${show(v)})`);
}

/**
 * Validates `input` (a plain object from the API or the CLI) on top of `base` (the spec in force, or the
 * defaults) and returns a complete spec. Throws `invalid(field, message)` naming the field and the limit.
 */
export function buildAutoscaleSpec(input: unknown, base?: AutoscaleSpec): AutoscaleSpec {
  const parsed = inputSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw invalid(issue.keys[0], 'unknown field');
    throw invalid(fieldOf(issue.path), issue.message);
  }
  const i = parsed.data;
  const from = base ?? DEFAULT_AUTOSCALE;
  const minReplicas = i.minReplicas ?? from.minReplicas;
  const maxReplicas = i.maxReplicas ?? (base ? base.maxReplicas : Math.max(DEFAULT_AUTOSCALE.maxReplicas, minReplicas));
  if (minReplicas > maxReplicas) {
    throw invalid('minReplicas', `${minReplicas} is above maxReplicas ${maxReplicas}`);
  }

  const spec: AutoscaleSpec = {
    minReplicas,
    maxReplicas,
    targetOngoingRequests: i.targetOngoingRequests ?? from.targetOngoingRequests,
    upscaleDelayMs: i.upscaleDelayMs === undefined ? from.upscaleDelayMs : toMs(i.upscaleDelayMs, 'upscaleDelayMs'),
    downscaleDelayMs: i.downscaleDelayMs === undefined ? from.downscaleDelayMs : toMs(i.downscaleDelayMs, 'downscaleDelayMs'),
    maxScaleUpPerMinute:
      i.maxScaleUpPerMinute === undefined
        ? from.maxScaleUpPerMinute
        : typeof i.maxScaleUpPerMinute === 'number'
          ? i.maxScaleUpPerMinute
          : parseRate(i.maxScaleUpPerMinute, 'maxScaleUpPerMinute'),
    scaleToZeroAfterMs: i.scaleToZeroAfterMs === undefined ? from.scaleToZeroAfterMs : toMs(i.scaleToZeroAfterMs, 'scaleToZeroAfterMs'),
    schedules:
      i.schedules === undefined
        ? from.schedules.map((r) => ({ ...r, days: [...r.days] }))
        : i.schedules.map((s, k) => parseScheduleRule(typeof s === 'string' ? s : s.text, `schedules[${k}]`)),
    timeZone: i.timeZone ?? from.timeZone,
    forecast: i.forecast ?? from.forecast,
  };
  const ttft = i.ttftP95Ms === undefined ? from.ttftP95Ms : i.ttftP95Ms === null ? undefined : toMs(i.ttftP95Ms, 'ttftP95Ms');
  if (ttft !== undefined) {
    if (!(ttft > 0)) throw invalid('ttftP95Ms', `must be greater than 0 (got ${formatDuration(ttft)})`);
    within('ttftP95Ms', ttft, 1, LIMITS.ttftP95Ms);
    spec.ttftP95Ms = ttft;
  }
  const queue = i.targetQueueLength === undefined ? from.targetQueueLength : (i.targetQueueLength ?? undefined);
  if (queue !== undefined) spec.targetQueueLength = queue;
  const policy = i.policy ?? from.policy ?? DEFAULT_POLICY;
  if (!(LIVE_POLICY_NAMES as readonly string[]).includes(policy)) {
    throw invalid('policy', `unknown policy "${policy}" (known: ${LIVE_POLICY_NAMES.join(', ')})`);
  }
  // the default is not stored: a spec without it (and every spec from before) runs ours
  if (policy !== DEFAULT_POLICY) spec.policy = policy;
  const qps = i.targetQpsPerReplica === undefined ? from.targetQpsPerReplica : (i.targetQpsPerReplica ?? undefined);
  if (qps !== undefined) spec.targetQpsPerReplica = qps;
  if (policy === 'skyserve' && qps === undefined) {
    throw invalid('targetQpsPerReplica', 'skyserve scales on requests per second: give a target per replica (> 0)');
  }

  const idle = i.idle ?? from.idle ?? 'stop';
  if (!(IDLE_MODES as readonly string[]).includes(idle)) throw invalid('idle', `"${idle}" must be sleep or stop`);
  // the default is not stored, like the policy: a spec from before stops its idle replicas
  if (idle === 'sleep') spec.idle = 'sleep';

  within('upscaleDelayMs', spec.upscaleDelayMs, 0, LIMITS.upscaleDelayMs);
  within('downscaleDelayMs', spec.downscaleDelayMs, 0, LIMITS.downscaleDelayMs);
  within('scaleToZeroAfterMs', spec.scaleToZeroAfterMs, 0, LIMITS.scaleToZeroAfterMs);
  within('maxScaleUpPerMinute', spec.maxScaleUpPerMinute, 1, LIMITS.maxScaleUpPerMinute, formatRate);
  if (!isValidTimeZone(spec.timeZone)) {
    throw invalid('timeZone', `"${spec.timeZone}" is not an IANA time zone (e.g. UTC, Europe/Zurich)`);
  }
  spec.schedules.forEach((r, k) => {
    if (r.minReplicas > spec.maxReplicas) {
      throw invalid(`schedules[${k}]`, `"${r.text}" asks for at least ${r.minReplicas}, above maxReplicas ${spec.maxReplicas}`);
    }
  });
  return spec;
}

/** Like buildAutoscaleSpec, but returns the error instead of throwing (for forms that show all fields). */
export function checkAutoscaleSpec(input: unknown, base?: AutoscaleSpec): AutoscaleSpec | InferscaleError {
  try {
    return buildAutoscaleSpec(input, base);
  } catch (err) {
    if (err instanceof InferscaleError) return err;
    throw err;
  }
}

/** The spec as input again (schedules as texts): for merging flags over a spec in force. */
export function specToInput(spec: AutoscaleSpec): AutoscaleInput {
  const { schedules, ttftP95Ms, targetQueueLength, policy, targetQpsPerReplica, idle, ...rest } = spec;
  const out: AutoscaleInput = { ...rest, schedules: schedules.map((r) => r.text) };
  if (ttftP95Ms !== undefined) out.ttftP95Ms = ttftP95Ms;
  if (targetQueueLength !== undefined) out.targetQueueLength = targetQueueLength;
  if (policy !== undefined) out.policy = policy;
  if (targetQpsPerReplica !== undefined) out.targetQpsPerReplica = targetQpsPerReplica;
  if (idle !== undefined) out.idle = idle;
  return out;
}

/** Lines for `deployment show` and the UI. */
export function describeSpec(spec: AutoscaleSpec): string[] {
  const policy = spec.policy ?? DEFAULT_POLICY;
  if (policy !== DEFAULT_POLICY) return describeBaseline(spec, policy);
  const lines = [`policy ${policy}`, `replicas ${spec.minReplicas} to ${spec.maxReplicas}`];
  lines.push(`target ${spec.targetOngoingRequests} ongoing requests per replica`);
  if (spec.ttftP95Ms !== undefined) lines.push(`time to first token p95 at most ${formatDuration(spec.ttftP95Ms)}`);
  if (spec.targetQueueLength !== undefined) lines.push(`at most ${spec.targetQueueLength} queued requests per replica`);
  lines.push(
    `scale up after ${formatDuration(spec.upscaleDelayMs)} (and only for demand that lasts 5% of a cold start, or surges), ` +
      `at most ${formatRate(spec.maxScaleUpPerMinute)} added; ` +
      `scale down to what 80% of the last ${formatDuration(spec.downscaleDelayMs)} asked for`,
  );
  lines.push(
    spec.minReplicas === 0
      ? `scale to zero when the deployment's idle gaps say the next request is far off, ` +
          `or after ${formatDuration(spec.scaleToZeroAfterMs)} without any request`
      : 'never scales to zero (min is above 0)',
  );
  for (const r of spec.schedules) lines.push(`schedule: ${formatScheduleRule(r)} (${spec.timeZone})`);
  lines.push(`forecast pre-warming ${spec.forecast ? 'on' : 'off'}`);
  lines.push(...idleLines(spec));
  return lines;
}

/** A peer's policy keeps its project's own windows and delays: only what the spec gives it is said. */
function describeBaseline(spec: AutoscaleSpec, policy: string): string[] {
  const lines = [`policy ${policy} (its project's own windows and delays)`, `replicas ${spec.minReplicas} to ${spec.maxReplicas}`];
  if (policy === 'skyserve' && spec.targetQpsPerReplica !== undefined) lines.push(`target ${spec.targetQpsPerReplica} requests per second per replica`);
  else lines.push(`target ${spec.targetOngoingRequests} ongoing requests per replica`);
  lines.push(...idleLines(spec));
  return lines;
}

/** said only where replicas sleep (stopping is the default, and every spec from before) */
function idleLines(spec: AutoscaleSpec): string[] {
  return spec.idle === 'sleep' ? ['replicas taken down sleep (process kept, weights off the GPU: a wake instead of a cold start) where the engine can'] : [];
}
