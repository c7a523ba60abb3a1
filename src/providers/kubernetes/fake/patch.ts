/** The patch formats the API server accepts, by Content-Type. */
import { ApiStatusError } from './errors.js';

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'] as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386: objects merge, null deletes, anything else (arrays included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Lists that strategic merge patch merges by a key instead of replacing (the ones this fake meets). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumes: 'name',
  volumeMounts: 'mountPath',
  conditions: 'type',
};

/** Strategic merge patch, for the lists inferscale's objects use; other lists replace as in a merge patch. */
export function strategicMergePatch(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && MERGE_KEYS[field]) {
    const key = MERGE_KEYS[field];
    const out = [...target];
    for (const item of patch) {
      const i = out.findIndex((x) => isObj(x) && isObj(item) && x[key] === item[key]);
      if (i >= 0) out[i] = strategicMergePatch(out[i], item);
      else out.push(item);
    }
    return out;
  }
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, k);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiStatusError(422, 'Invalid', `json patch: path "${path}" must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 operations add, remove, replace, test, copy and move. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new ApiStatusError(400, 'BadRequest', 'json patch: the body must be a JSON array of operations (was the patch sent with the wrong Content-Type?)');
  let doc = structuredClone(target);
  const get = (parts: string[]) => parts.reduce<any>((o, p) => (o === undefined ? undefined : o[p]), doc);
  const parentOf = (parts: string[]) => {
    const parent = get(parts.slice(0, -1));
    if (parent === undefined || typeof parent !== 'object') throw new ApiStatusError(422, 'Invalid', `json patch: no parent for /${parts.join('/')}`);
    return parent;
  };
  const put = (parts: string[], value: unknown, insert: boolean) => {
    if (parts.length === 0) return void (doc = value);
    const parent = parentOf(parts);
    const last = parts[parts.length - 1];
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (insert) parent.splice(i, 0, value);
      else parent[i] = value;
    } else parent[last] = value;
  };
  const remove = (parts: string[]) => {
    const parent = parentOf(parts);
    const last = parts[parts.length - 1];
    if (get(parts) === undefined) throw new ApiStatusError(422, 'Invalid', `json patch: nothing at /${parts.join('/')} to remove`);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  };
  for (const op of ops as { op: string; path: string; value?: unknown; from?: string }[]) {
    const parts = pointer(op.path);
    switch (op.op) {
      case 'add':
        put(parts, structuredClone(op.value), true);
        break;
      case 'replace':
        if (get(parts) === undefined) throw new ApiStatusError(422, 'Invalid', `json patch: nothing at ${op.path} to replace`);
        put(parts, structuredClone(op.value), false);
        break;
      case 'remove':
        remove(parts);
        break;
      case 'test':
        if (JSON.stringify(get(parts)) !== JSON.stringify(op.value)) throw new ApiStatusError(422, 'Invalid', `json patch: test failed at ${op.path}`);
        break;
      case 'copy':
      case 'move': {
        const from = pointer(op.from ?? '');
        const v = structuredClone(get(from));
        if (op.op === 'move') remove(from);
        put(parts, v, true);
        break;
      }
      default:
        throw new ApiStatusError(422, 'Invalid', `json patch: unknown op "${op.op}"`);
    }
  }
  return doc;
}

export function applyPatch(contentType: string, target: unknown, body: unknown): unknown {
  switch (contentType) {
    case 'application/json-patch+json':
      return jsonPatch(target, body);
    case 'application/merge-patch+json':
      if (!isObj(body)) throw new ApiStatusError(400, 'BadRequest', 'merge patch: the body must be a JSON object');
      return mergePatch(target, body);
    case 'application/strategic-merge-patch+json':
      if (!isObj(body)) throw new ApiStatusError(400, 'BadRequest', 'strategic merge patch: the body must be a JSON object');
      return strategicMergePatch(target, body);
    default:
      throw new ApiStatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
  }
}
