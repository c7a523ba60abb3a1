import { InferscaleError } from './errors.js';

/** Limits given over their defaults, each checked to be a positive integer (`group` names them in errors). */
export function limitsWithDefaults<T extends object>(group: string, defaults: Readonly<T>, given: Partial<T> = {}): T {
  const l = { ...defaults, ...given };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isInteger(v) || (v as number) <= 0) throw new InferscaleError('invalid_argument', `${group}.${k}: must be a positive integer, got ${v}`, { field: `${group}.${k}` });
  }
  return l;
}
