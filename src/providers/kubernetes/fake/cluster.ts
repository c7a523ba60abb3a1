/**
 * An in-memory Kubernetes API: objects with resource versions and generations, label-selected lists,
 * watches that resume from a resource version (410 Gone once compacted), the status and scale
 * subresources, graceful pod deletion and owner-reference garbage collection. Controllers
 * (fake/controllers.ts) run on it the way kube-controller-manager runs on the real one.
 * Verified only against itself and @kubernetes/client-node, not against a real API server.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { alreadyExistsError, ApiStatusError, conflictError, goneError, notFoundError } from './errors.js';
import { parseLabelSelector } from '../selectors.js';
import { RESOURCES, resourceByPlural, type ResourceType } from './resources.js';

export { RESOURCES, resourceByPlural, type ResourceType } from './resources.js';

export interface KObj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    [k: string]: unknown;
  };
  spec?: any;
  status?: any;
  [k: string]: unknown;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObj;
}

interface Watcher {
  fits: (plural: string, e: WatchEvent) => boolean;
  send: (e: WatchEvent) => void;
}

const HISTORY = 5000;

export class FakeCluster {
  private rv = 0;
  private readonly objects = new Map<string, KObj>();
  private history: { plural: string; rv: number; event: WatchEvent }[] = [];
  /** the oldest resource version a watch may resume from */
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  /** called after every write, for controllers */
  readonly afterWrite = new Set<(plural: string) => void>();
  /** a fixed or moving "now" for timestamps; tests may replace it */
  now: () => number = () => Date.now();

  private key(plural: string, ns: string | undefined, name: string): string {
    return `${plural}/${ns ?? ''}/${name}`;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  list(plural: string, namespace?: string, labelSelector?: string): { items: KObj[]; resourceVersion: string } {
    resourceByPlural(plural);
    const match = parseLabelSelector(labelSelector);
    const items = [...this.objects.values()].filter(
      (o) => this.pluralOf(o) === plural && (namespace === undefined || o.metadata.namespace === namespace) && match(o.metadata.labels),
    );
    return { items: items.map((o) => structuredClone(o)), resourceVersion: String(this.rv) };
  }

  tryGet(plural: string, namespace: string | undefined, name: string): KObj | undefined {
    const o = this.objects.get(this.key(plural, namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  get(plural: string, namespace: string | undefined, name: string): KObj {
    const o = this.tryGet(plural, namespace, name);
    if (!o) throw notFoundError(`${plural}`, name);
    return o;
  }

  create(plural: string, namespace: string | undefined, obj: KObj): KObj {
    const r = resourceByPlural(plural);
    const name = obj.metadata?.name;
    if (!name && !obj.metadata?.generateName) throw new ApiStatusError(422, 'Invalid', `${r.kind}: metadata.name: Required value`);
    const finalName = name ?? `${obj.metadata.generateName}${randomUUID().slice(0, 5)}`;
    const k = this.key(plural, r.namespaced ? namespace : undefined, finalName);
    if (this.objects.has(k)) throw alreadyExistsError(plural, finalName);
    const o: KObj = structuredClone({ ...obj, apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind });
    o.metadata = {
      ...o.metadata,
      name: finalName,
      namespace: r.namespaced ? namespace : undefined,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: new Date(this.now()).toISOString(),
    };
    delete o.metadata.deletionTimestamp;
    this.store(plural, k, o, 'ADDED');
    return structuredClone(o);
  }

  /** PUT: optimistic concurrency on metadata.resourceVersion when given. */
  replace(plural: string, namespace: string | undefined, name: string, obj: KObj, subresource?: 'status'): KObj {
    const r = resourceByPlural(plural);
    const k = this.key(plural, r.namespaced ? namespace : undefined, name);
    const cur = this.objects.get(k);
    if (!cur) throw notFoundError(plural, name);
    if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw conflictError(plural, name);
    let next: KObj;
    if (subresource === 'status') next = { ...structuredClone(cur), status: structuredClone(obj.status) };
    else {
      next = structuredClone({ ...obj, apiVersion: cur.apiVersion, kind: cur.kind });
      next.metadata = {
        ...next.metadata,
        name,
        namespace: cur.metadata.namespace,
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
        generation: cur.metadata.generation,
      };
      if (cur.metadata.deletionTimestamp) next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
      if (r.status) next.status = structuredClone(cur.status);
      // as the API server: a spec with its keys in another order is the same spec
      if (!isDeepStrictEqual(next.spec, cur.spec)) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    }
    if (
      JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } }) ===
      JSON.stringify({ ...cur, metadata: { ...cur.metadata, resourceVersion: undefined } })
    ) {
      return structuredClone(cur);
    }
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length && plural !== 'pods') {
      // the last finalizer of an object being deleted is gone: it goes
      this.store(plural, k, next, 'MODIFIED');
      return this.delete(plural, namespace, name, 0);
    }
    this.store(plural, k, next, 'MODIFIED');
    return structuredClone(next);
  }

  /** Changes an object through `fn` (for controllers and test steps); no-op when `fn` returns false. */
  mutate(plural: string, namespace: string | undefined, name: string, fn: (o: KObj) => boolean | void, subresource?: 'status'): KObj | undefined {
    const o = this.tryGet(plural, namespace, name);
    if (!o) return undefined;
    if (fn(o) === false) return o;
    return this.replace(plural, namespace, name, o, subresource);
  }

  /**
   * DELETE. A pod with a grace period gets a deletion timestamp first and goes when the kubelet (the
   * fake's) finishes it; an object with finalizers gets a deletion timestamp and goes when an update
   * removes the last one; everything else goes at once, and its dependents are garbage collected.
   */
  delete(plural: string, namespace: string | undefined, name: string, gracePeriodSeconds?: number): KObj {
    const r = resourceByPlural(plural);
    const k = this.key(plural, r.namespaced ? namespace : undefined, name);
    const cur = this.objects.get(k);
    if (!cur) throw notFoundError(plural, name);
    if (cur.metadata.finalizers?.length && plural !== 'pods') {
      if (cur.metadata.deletionTimestamp) return structuredClone(cur);
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = new Date(this.now()).toISOString();
      next.metadata.deletionGracePeriodSeconds = 0;
      this.store(plural, k, next, 'MODIFIED');
      return structuredClone(next);
    }
    const grace = gracePeriodSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30;
    if (plural === 'pods' && grace > 0 && cur.spec?.nodeName) {
      if (cur.metadata.deletionTimestamp) return structuredClone(cur);
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = new Date(this.now() + grace * 1000).toISOString();
      next.metadata.deletionGracePeriodSeconds = grace;
      this.store(plural, k, next, 'MODIFIED');
      return structuredClone(next);
    }
    this.objects.delete(k);
    this.emit(plural, { type: 'DELETED', object: { ...structuredClone(cur), metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } } });
    this.collectDependents(cur.metadata.uid);
    this.written(plural);
    return structuredClone(cur);
  }

  /** Removes a terminating pod for good (the kubelet finished it). */
  finalize(plural: string, namespace: string | undefined, name: string): void {
    const cur = this.tryGet(plural, namespace, name);
    if (!cur) return;
    this.objects.delete(this.key(plural, namespace, name));
    this.emit(plural, { type: 'DELETED', object: { ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } } });
    this.written(plural);
  }

  /** Starts a watch; throws 410 Gone when `fromRv` is older than the kept history. */
  watch(
    plural: string,
    namespace: string | undefined,
    labelSelector: string | undefined,
    fromRv: number | undefined,
    send: (e: WatchEvent) => void,
  ): () => void {
    resourceByPlural(plural);
    const match = parseLabelSelector(labelSelector);
    const fits = (p: string, e: WatchEvent) =>
      p === plural && (namespace === undefined || e.object.metadata.namespace === namespace) && match(e.object.metadata.labels);
    if (fromRv !== undefined && fromRv > 0) {
      if (fromRv < this.compactedRv) throw goneError(fromRv);
      for (const h of this.history) if (h.rv > fromRv && fits(h.plural, h.event)) send(structuredClone(h.event));
    } else {
      // no resource version: the current state as ADDED events, then changes
      for (const o of this.list(plural, namespace, labelSelector).items) send({ type: 'ADDED', object: o });
    }
    const w: Watcher = { fits, send };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** The scale subresource (autoscaling/v1 Scale) of a Deployment, or of a custom resource that declares one. */
  getScale(namespace: string, name: string, plural = 'deployments'): KObj {
    const paths = scalePaths(plural);
    const o = this.get(plural, namespace, name);
    const sel = paths.labelSelectorPath
      ? readPath(o, paths.labelSelectorPath)
      : Object.entries<string>(o.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: readPath(o, paths.specReplicasPath) ?? (plural === 'deployments' ? 1 : 0) },
      status: { replicas: readPath(o, paths.statusReplicasPath) ?? 0, ...(sel ? { selector: sel } : {}) },
    };
  }

  /** Writes the replica count through the scale subresource (resourceVersion checked when given). */
  replaceScale(namespace: string, name: string, scale: KObj, plural = 'deployments'): KObj {
    const paths = scalePaths(plural);
    const o = this.get(plural, namespace, name);
    const type = resourceByPlural(plural);
    if (scale.metadata?.resourceVersion && scale.metadata.resourceVersion !== o.metadata.resourceVersion) throw conflictError(`${plural}.${type.group}`, name);
    const replicas = scale.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ApiStatusError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      );
    writePath(o, paths.specReplicasPath, replicas);
    delete o.metadata.resourceVersion;
    this.replace(plural, namespace, name, o);
    return this.getScale(namespace, name, plural);
  }

  /** Forgets the event history: watches resuming from an older resource version get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv + 1;
    this.history = [];
  }

  private pluralOf(o: KObj): string {
    const r = RESOURCES.find((x) => x.kind === o.kind && (x.group ? `${x.group}/${x.version}` : x.version) === o.apiVersion);
    return r?.plural ?? '';
  }

  private store(plural: string, k: string, o: KObj, type: WatchEvent['type']): void {
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.set(k, o);
    this.emit(plural, { type, object: structuredClone(o) });
    this.written(plural);
  }

  private emit(plural: string, event: WatchEvent): void {
    const rv = Number(event.object.metadata.resourceVersion);
    this.history.push({ plural, rv, event });
    if (this.history.length > HISTORY) {
      this.history.shift();
      this.compactedRv = this.history[0]?.rv ?? this.rv;
    }
    for (const w of this.watchers) if (w.fits(plural, event)) w.send(structuredClone(event));
  }

  private written(plural: string): void {
    for (const f of this.afterWrite) f(plural);
  }

  private collectDependents(uid: string | undefined): void {
    if (!uid) return;
    for (const o of [...this.objects.values()]) {
      if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) {
        const plural = this.pluralOf(o);
        try {
          this.delete(plural, o.metadata.namespace, o.metadata.name, plural === 'pods' ? undefined : 0);
        } catch {
          /* already gone */
        }
      }
    }
  }
}

function scalePaths(plural: string): NonNullable<ResourceType['scale']> {
  const paths = resourceByPlural(plural).scale;
  if (!paths) throw new ApiStatusError(404, 'NotFound', `the server could not find the requested resource (${plural}/scale)`);
  return paths;
}

/** The value at a simple JSON path such as ".spec.replicas" (what a CRD's scale subresource names). */
function readPath(o: KObj, path: string): any {
  return path
    .split('.')
    .filter(Boolean)
    .reduce<any>((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
}

function writePath(o: KObj, path: string, value: unknown): void {
  const keys = path.split('.').filter(Boolean);
  let v: any = o;
  for (const k of keys.slice(0, -1)) v = v[k] && typeof v[k] === 'object' ? v[k] : (v[k] = {});
  v[keys[keys.length - 1]] = value;
}
