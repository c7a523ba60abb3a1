/**
 * Autoscale flags, shared by the CLI (`deployment autoscale NAME --min 0 --max 8 ...`), the API's
 * text form and the simulator's `--autoscale "<same flags>"`:
 *   --min N --max N --target-ongoing-requests N [--ttft-p95 2s|off] [--queue-length N|off]
 *   [--upscale-delay 0s] [--downscale-delay 5m] [--scale-to-zero-after 5m] [--max-scale-up-rate 4/min]
 *   [--schedule "weekdays 08:00-18:00 at least 3"]... (or "none") [--time-zone Europe/Zurich] [--forecast on|off]
 *   [--policy ours|kpa|ray|hpa|keda|skyserve] [--target-qps-per-replica N|off] (SkyServe's target)
 *   [--idle sleep|stop] (what a replica taken down becomes)
 */
import { InferscaleError, invalid } from '../core/errors.js';
import type { AutoscaleInput } from './spec.js';
import { buildAutoscaleSpec, specToInput } from './spec.js';
import type { AutoscaleSpec } from './types.js';

export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/** flag (camelCase, as commander names it) -> spec field */
export const AUTOSCALE_FLAGS: Readonly<Record<string, keyof AutoscaleSpec>> = {
  min: 'minReplicas',
  minReplicas: 'minReplicas',
  max: 'maxReplicas',
  maxReplicas: 'maxReplicas',
  targetOngoingRequests: 'targetOngoingRequests',
  ttftP95: 'ttftP95Ms',
  queueLength: 'targetQueueLength',
  upscaleDelay: 'upscaleDelayMs',
  downscaleDelay: 'downscaleDelayMs',
  scaleToZeroAfter: 'scaleToZeroAfterMs',
  maxScaleUpRate: 'maxScaleUpPerMinute',
  schedule: 'schedules',
  timeZone: 'timeZone',
  forecast: 'forecast',
  policy: 'policy',
  targetQpsPerReplica: 'targetQpsPerReplica',
  idle: 'idle',
};

const kebab = (camel: string) => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/^-+/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const OFF = new Set(['off', 'none', 'no', 'false']);

function one(flag: string, v: string | string[] | boolean): string {
  if (typeof v === 'boolean') throw invalid(`--${kebab(flag)}`, 'needs a value');
  if (Array.isArray(v)) {
    if (v.length !== 1) throw invalid(`--${kebab(flag)}`, 'given more than once');
    return v[0];
  }
  return v;
}

function numberFlag(flag: string, v: string | string[] | boolean): number {
  const s = one(flag, v).trim();
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) throw invalid(`--${kebab(flag)}`, `"${s}" is not a number`);
  return n;
}

/**
 * Turns flag values (commander's camelCase keys, or kebab-case with or without dashes) into the input
 * for buildAutoscaleSpec, on top of `base` when given. Unknown keys are ignored unless `strict`, so the
 * CLI may pass all of its options.
 */
export function autoscaleSpecFromFlags(flags: FlagValues, base?: AutoscaleSpec, opts: { strict?: boolean } = {}): AutoscaleInput {
  const input: AutoscaleInput = base ? specToInput(base) : {};
  for (const [rawKey, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    const key = camel(rawKey);
    const field = AUTOSCALE_FLAGS[key];
    const name = `--${kebab(key)}`;
    if (!field) {
      if (opts.strict) throw invalid(name, `unknown autoscale flag (known: ${knownFlags().join(' ')})`);
      continue;
    }
    switch (field) {
      case 'minReplicas':
      case 'maxReplicas':
      case 'targetOngoingRequests':
        input[field] = numberFlag(key, v);
        break;
      case 'targetQueueLength':
      case 'targetQpsPerReplica': {
        const s = one(key, v);
        input[field] = OFF.has(s.trim().toLowerCase()) ? null : numberFlag(key, s);
        break;
      }
      case 'idle':
        input.idle = one(key, v).trim().toLowerCase();
        break;
      case 'policy':
        input.policy = one(key, v).trim().toLowerCase();
        break;
      case 'ttftP95Ms': {
        const s = one(key, v);
        input.ttftP95Ms = OFF.has(s.trim().toLowerCase()) ? null : s;
        break;
      }
      case 'upscaleDelayMs':
      case 'downscaleDelayMs':
      case 'scaleToZeroAfterMs':
      case 'maxScaleUpPerMinute':
      case 'timeZone':
        input[field] = one(key, v);
        break;
      case 'schedules': {
        if (typeof v === 'boolean') throw invalid(name, 'needs a rule, e.g. "weekdays 08:00-18:00 at least 3"');
        const list = (Array.isArray(v) ? v : [v]).filter((s) => !OFF.has(s.trim().toLowerCase()));
        input.schedules = list;
        break;
      }
      case 'forecast': {
        if (typeof v === 'boolean') input.forecast = v;
        else {
          const s = one(key, v).trim().toLowerCase();
          if (s === 'on' || s === 'true' || s === 'yes') input.forecast = true;
          else if (OFF.has(s)) input.forecast = false;
          else throw invalid(name, `"${s}" must be on or off`);
        }
        break;
      }
      default:
        break;
    }
  }
  return input;
}

function knownFlags(): string[] {
  return Object.keys(AUTOSCALE_FLAGS)
    .filter((k) => k !== 'minReplicas' && k !== 'maxReplicas')
    .map((k) => `--${kebab(k)}`);
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (quote) throw invalid('autoscale', `unclosed ${quote} in "${text}"`);
  if (has || cur) out.push(cur);
  return out;
}

/**
 * Splits `--min 0 --max 4 --schedule "weekdays 08:00-18:00 at least 3"` into flag values (camelCase keys;
 * --schedule repeats into an array; a flag without a value is `true`). Unknown flags are errors.
 */
export function parseAutoscaleFlagString(text: string): Record<string, string | string[] | boolean> {
  const out: Record<string, string | string[] | boolean> = {};
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok.startsWith('--')) throw invalid('autoscale', `unexpected "${tok}"; flags look like --max 4`);
    const eq = tok.indexOf('=');
    const key = camel(eq > 0 ? tok.slice(0, eq) : tok);
    if (!AUTOSCALE_FLAGS[key]) throw invalid(`--${kebab(key)}`, `unknown autoscale flag (known: ${knownFlags().join(' ')})`);
    let value: string | boolean = true;
    if (eq > 0) value = tok.slice(eq + 1);
    else if (i + 1 < tokens.length && !tokens[i + 1].startsWith('--')) value = tokens[++i];
    if (key === 'schedule') {
      if (typeof value !== 'string') throw invalid('--schedule', 'needs a rule, e.g. "weekdays 08:00-18:00 at least 3"');
      const prev = out.schedule;
      out.schedule = Array.isArray(prev) ? [...prev, value] : [value];
    } else {
      if (key in out) throw invalid(`--${kebab(key)}`, 'given more than once');
      out[key] = value;
    }
  }
  return out;
}

/** Spec field -> the flag that sets it, for error messages aimed at CLI users. */
function flagFor(field: string): string | undefined {
  const root = field.replace(/\[.*$/, '');
  const key = Object.keys(AUTOSCALE_FLAGS).find((k) => AUTOSCALE_FLAGS[k] === root && k !== 'minReplicas' && k !== 'maxReplicas');
  return key ? `--${kebab(key)}${field.slice(root.length)}` : undefined;
}

/** Flags -> validated spec, with errors naming the flag (`--max: must be at least 1`). */
export function specFromFlags(flags: FlagValues, base?: AutoscaleSpec, opts: { strict?: boolean } = {}): AutoscaleSpec {
  try {
    return buildAutoscaleSpec(autoscaleSpecFromFlags(flags, base, opts));
  } catch (err) {
    const field = err instanceof InferscaleError ? err.details.field : undefined;
    const flag = typeof field === 'string' ? flagFor(field) : undefined;
    if (!flag || !(err instanceof InferscaleError)) throw err;
    throw invalid(flag, err.message.slice(field!.length + 2));
  }
}

/** The simulator's `--autoscale "<flags>"`: text -> validated spec. */
export function specFromFlagString(text: string, base?: AutoscaleSpec): AutoscaleSpec {
  return specFromFlags(parseAutoscaleFlagString(text), base, { strict: true });
}
