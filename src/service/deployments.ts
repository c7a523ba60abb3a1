import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InferscaleError, invalid, notFound } from '../core/errors.js';
import type { DeploymentRow, Store } from '../store/store.js';
import { createSchema, parseInput, scaleSchema, updateSchema } from '../domain/validation.js';
import type { GpuDevice } from '../placement/inventory.js';
import { gpusPerReplica, placeableReplicas, quotaViolation, typeMemoryMb } from '../placement/placement.js';
import { setGpuMemory } from '../placement/memory-column.js';
import { formatMemory, parseMemorySize } from '../placement/size.js';
import { capDecision } from '../domain/limits.js';
import { engineDriver } from '../engines/registry.js';
import { generateApiKey, hashKey, type KeyBox } from '../security/secrets.js';
import type { ReplicaProvider } from '../providers/types.js';
import { deploymentView, type DeploymentView } from './views.js';
import { linesSince } from './log-window.js';
import { buildAutoscaleSpec, describeSpec } from '../autoscaler/spec.js';
import type { ZoneCatalog } from '../zones/registry.js';
import type { EngineSignals } from '../engines/engine-metrics.js';
import { assertCapacity, type CapacitySpec, DEFAULT_CAPACITY, mergeCapacity } from '../domain/capacity.js';
import { CapacityStore } from './capacity-store.js';

export interface DeploymentServiceOptions {
  store: Store;
  clock: Clock;
  inventory: readonly GpuDevice[];
  keys: KeyBox;
  /** the provider of the local zone: every zone's when `zones` is absent, and a zone's no longer configured */
  provider: ReplicaProvider;
  baseUrl: () => string;
  /** asks the reconciler to converge soon */
  kick: () => void;
  /** the model store: refuses a model an engine cannot serve (llamacpp needs a stored, ready model) */
  models?: {
    assertUsable(engine: string, modelName: string): void;
    /** throws when pods cannot fetch the model (one created from a local file) */
    podModel?(engine: string, modelName: string): unknown;
  };
  /** the zones of the zones file (src/zones); absent: only `local` */
  zones?: ZoneCatalog;
  /** told of a new or rotated key once it is stored, so the gateway accepts it before the call returns */
  keyChanged?: (d: DeploymentRow) => void;
  /** a replica's engine signals from the gateway's last scrape of its /metrics (src/gateway/engine-scraper.ts) */
  engineSignals?: (deploymentName: string, replicaId: string) => EngineSignals | undefined;
}

/** How long a rotated key's predecessor is still accepted when the caller does not say (seconds). */
export const DEFAULT_KEY_GRACE_S = 300;
/** The longest grace a rotation may give the old key (seconds): 7 days. */
export const MAX_KEY_GRACE_S = 7 * 24 * 3600;

export interface GpuLimit {
  gpuType: string;
  used: number;
  max: number;
  quota: number | null;
  inventory: number;
}

/**
 * The application service behind the REST API and the CLI: validates, checks quota, writes the desired
 * state, records an event and kicks the reconciler. Every check happens before any write, so a refused
 * request changes nothing.
 */
export class DeploymentService {
  /** each deployment's capacity type and on-demand floor (issue #17) */
  readonly capacity: CapacityStore;

  constructor(private readonly o: DeploymentServiceOptions) {
    this.capacity = new CapacityStore(o.store.db);
  }

  private get store(): Store {
    return this.o.store;
  }

  view(d: DeploymentRow, apiKey?: string): DeploymentView {
    const signals = this.o.engineSignals;
    const v = deploymentView(d, this.store.listReplicas(d.id), this.o.baseUrl(), apiKey, signals && ((id) => signals(d.name, id)));
    return { ...v, capacity: this.capacity.get(d.id) };
  }

  get(name: string): DeploymentRow {
    const d = this.store.getDeploymentByName(name);
    if (!d || d.deleting) throw notFound('deployment', name);
    return d;
  }

  list(): DeploymentRow[] {
    return this.store.listDeployments();
  }

  create(input: unknown): DeploymentView {
    const parsed = parseInput(createSchema, input);
    const c = { ...parsed, zone: parsed.zone ?? this.o.zones?.defaultZone?.() ?? 'local' };
    if (this.o.zones) this.o.zones.assertZone(c.zone);
    else if (c.zone !== 'local') throw invalid('zone', `unknown zone "${c.zone}" (available: local)`);
    const gpuType = this.providerOf(c.zone).gpuTypeFor(c.gpuType, c.engine);
    engineDriver(c.engine).validateParams(c.engineParams);
    const gpuMemoryMb = this.gpuMemoryOf(input, c.gpuMemory, gpuType, c.zone);
    this.assertModel(c.zone, c.engine, c.modelName);
    const capacity = mergeCapacity(DEFAULT_CAPACITY, c);
    this.assertCapacity(capacity, c.zone, null, c.replicas);
    if (this.store.getDeploymentByName(c.name)) throw new InferscaleError('already_exists', `deployment "${c.name}" already exists`, { field: 'name' });
    this.checkQuota(undefined, gpuType, this.perReplica({ gpuCount: c.gpuCount, gpuMemoryMb }, gpuType, c.zone) * c.replicas, c.zone, !!gpuMemoryMb);
    const now = this.o.clock.now();
    const apiKey = generateApiKey();
    const d: DeploymentRow = {
      id: randomUUID(),
      name: c.name,
      modelName: c.modelName,
      engine: c.engine,
      engineParams: c.engineParams,
      gpuType,
      gpuCount: c.gpuCount,
      gpuMemoryMb,
      replicas: c.replicas,
      zone: c.zone,
      status: c.replicas === 0 ? 'stopped' : 'creating',
      statusDetails: c.replicas === 0 ? 'created at zero replicas' : 'waiting for the controller',
      maxOngoingRequests: c.maxOngoingRequests,
      maxQueuedRequests: c.maxQueuedRequests,
      queueTimeoutMs: c.queueTimeoutMs,
      drainTimeoutMs: c.drainTimeoutMs,
      autoscale: null,
      labels: c.labels,
      apiKeyHash: hashKey(apiKey),
      apiKeySealed: this.o.keys.seal(apiKey),
      generation: 1,
      everReady: false,
      deleting: false,
      createdAt: now,
      updatedAt: now,
    };
    this.store.durableTransaction(() => {
      const { gpuMemoryMb: _, ...row } = d;
      this.store.insertDeployment(row);
      if (gpuMemoryMb) setGpuMemory(this.store.db, d.id, gpuMemoryMb);
      if (capacity !== DEFAULT_CAPACITY) this.capacity.set(d.id, capacity);
      const size = gpuMemoryMb ? `${formatMemory(gpuMemoryMb)} of one` : c.gpuCount;
      this.store.addEvent(d.id, now, 'created', `created: ${c.replicas} x ${size} ${gpuType}, engine ${c.engine}, model ${c.modelName}`);
    });
    this.o.kick();
    return this.view(d, apiKey);
  }

  scale(name: string, input: unknown): DeploymentView {
    const d = this.get(name);
    const { replicas } = parseInput(scaleSchema, input);
    if (d.autoscale) {
      throw new InferscaleError(
        'autoscaling_enabled',
        `deployment "${name}" is autoscaled (min ${d.autoscale.minReplicas}, max ${d.autoscale.maxReplicas}); change the bounds with "inferscale deployment autoscale ${name} --min N --max M" or turn autoscaling off with "inferscale deployment autoscale ${name} --off" first`,
      );
    }
    if (replicas === d.replicas) return this.view(d);
    if (replicas > d.replicas) this.checkQuota(d, d.gpuType, this.perReplica(d, d.gpuType, d.zone) * replicas, d.zone, !!d.gpuMemoryMb);
    this.writeReplicas(d, replicas, 'scale', `scaled ${d.replicas} -> ${replicas}`);
    return this.view(this.get(name));
  }

  /**
   * The autoscaler's way to apply a decision: not user input, so never refused. It is brought within the
   * spec's bounds and, when growing, within what quota and GPU inventory place; each cap is said in the
   * reason ("capped at N: why") recorded with the `autoscale` event. Returns what was applied, and why.
   */
  applyAutoscale(name: string, desired: number, reason: string): { replicas: number; reason: string } {
    const d = this.get(name);
    if (!d.autoscale) return { replicas: d.replicas, reason: 'autoscaling is off: the decision is not applied' };
    const place = this.placeable(d);
    const cap = capDecision(desired, d.replicas, {
      min: d.autoscale.minReplicas,
      max: d.autoscale.maxReplicas,
      placeable: place.replicas,
      placeableWhy: place.why,
    });
    const said = cap.note ? `${reason}; ${cap.note}` : reason;
    if (cap.replicas !== d.replicas) this.writeReplicas(d, cap.replicas, 'autoscale', `autoscaled ${d.replicas} -> ${cap.replicas}: ${said}`);
    return { replicas: cap.replicas, reason: said };
  }

  /** Records what the autoscaler noticed without changing the replica count (an `autoscale` event). */
  noteAutoscale(name: string, message: string): void {
    const d = this.get(name);
    this.store.addEvent(d.id, this.o.clock.now(), 'autoscale', message);
  }

  private writeReplicas(d: DeploymentRow, replicas: number, kind: 'scale' | 'autoscale', message: string): void {
    const now = this.o.clock.now();
    this.store.transaction(() => {
      this.store.updateDeployment(d.id, { replicas, updatedAt: now, status: 'scaling', statusDetails: `scaling ${d.replicas} -> ${replicas}` });
      this.store.addEvent(d.id, now, kind, message);
    });
    this.o.kick();
  }

  update(name: string, input: unknown): DeploymentView {
    const d = this.get(name);
    const u = parseInput(updateSchema, input);
    if (u.gpuCount !== undefined && u.gpuCount !== d.gpuCount) {
      throw new InferscaleError(
        'immutable_field',
        `gpuCount: the GPU count of a deployment is fixed at creation (${d.gpuCount}); create a new deployment to use ${String(u.gpuCount)} GPUs per replica`,
        { field: 'gpuCount' },
      );
    }
    if (u.gpuType !== undefined && u.gpuType !== d.gpuType) {
      throw new InferscaleError(
        'immutable_field',
        `gpuType: the GPU type of a deployment is fixed at creation (${d.gpuType}); create a new deployment to change it`,
        { field: 'gpuType' },
      );
    }
    if (u.engineParams !== undefined) engineDriver(d.engine).validateParams(u.engineParams);
    if (u.modelName !== undefined) this.assertModel(d.zone, d.engine, u.modelName);
    const capacity = u.capacity !== undefined || u.onDemandFloor !== undefined ? mergeCapacity(this.capacity.get(d.id), u) : undefined;
    if (capacity) this.assertCapacity(capacity, d.zone, d.autoscale?.maxReplicas ?? null, d.replicas);
    const patch: Partial<DeploymentRow> = {};
    const rolling = (u.engineParams !== undefined && u.engineParams !== d.engineParams) || (u.modelName !== undefined && u.modelName !== d.modelName);
    for (const k of ['engineParams', 'modelName', 'maxOngoingRequests', 'maxQueuedRequests', 'queueTimeoutMs', 'drainTimeoutMs', 'labels'] as const) {
      if (u[k] !== undefined) (patch as Record<string, unknown>)[k] = u[k];
    }
    if (rolling) {
      patch.generation = d.generation + 1;
      patch.status = 'updating';
      patch.statusDetails = 'rolling replicas one at a time';
    }
    const now = this.o.clock.now();
    patch.updatedAt = now;
    this.store.transaction(() => {
      this.store.updateDeployment(d.id, patch);
      if (capacity) this.capacity.set(d.id, capacity);
      this.store.addEvent(
        d.id,
        now,
        'update',
        `updated ${[...Object.keys(patch), ...(capacity ? ['capacity'] : [])]
          .filter((k) => k !== 'updatedAt' && k !== 'generation')
          .join(', ')}${rolling ? ': rolling replicas one at a time' : ''}`,
      );
    });
    this.o.kick();
    return this.view(this.get(name));
  }

  delete(name: string): void {
    const d = this.get(name);
    const now = this.o.clock.now();
    this.store.transaction(() => {
      this.store.updateDeployment(d.id, { deleting: true, replicas: 0, status: 'deleting', statusDetails: 'stopping replicas', updatedAt: now });
      this.store.addEvent(d.id, now, 'delete', 'deletion requested: draining replicas; URL and key are gone');
    });
    this.o.kick();
  }

  /**
   * Turns autoscaling on (or changes its spec, merged over the current one). The current replica count
   * stays until the autoscaler's next decision, which moves it into [min, max] at once.
   */
  setAutoscale(name: string, input: unknown): DeploymentView {
    const d = this.get(name);
    const spec = buildAutoscaleSpec(input, d.autoscale ?? undefined);
    this.assertCapacity(this.capacity.get(d.id), d.zone, spec.maxReplicas, d.replicas);
    const limit = this.placeableReplicas(d);
    const now = this.o.clock.now();
    this.store.transaction(() => {
      this.store.updateDeployment(d.id, { autoscale: spec, updatedAt: now });
      this.store.addEvent(
        d.id,
        now,
        'autoscale-spec',
        `autoscaling ${d.autoscale ? 'changed' : 'on'}: ${describeSpec(spec).join('; ')}${spec.maxReplicas > limit ? ` (note: quota and GPUs place at most ${limit} replicas now)` : ''}`,
      );
    });
    this.o.kick();
    return this.view(this.get(name));
  }

  disableAutoscale(name: string): DeploymentView {
    const d = this.get(name);
    if (!d.autoscale) return this.view(d);
    const now = this.o.clock.now();
    this.store.transaction(() => {
      this.store.updateDeployment(d.id, { autoscale: null, updatedAt: now });
      this.store.addEvent(d.id, now, 'autoscale-spec', `autoscaling off: replicas stay at ${d.replicas} until scaled by hand`);
    });
    this.o.kick();
    return this.view(this.get(name));
  }

  revealKey(name: string): string {
    return this.o.keys.open(this.get(name).apiKeySealed);
  }

  /**
   * A new API key; the old one is still accepted for `graceSeconds` (default DEFAULT_KEY_GRACE_S, 0: refused
   * at once), so clients can switch without a refused request. The write is durable before the key is
   * returned, and the gateway accepts the new key before this returns.
   */
  rotateKey(name: string, input: unknown = {}): { apiKey: string; previousKeyValidUntil: number | null } {
    const d = this.get(name);
    const graceSeconds = parseGrace(input);
    const key = generateApiKey();
    const now = this.o.clock.now();
    const until = graceSeconds > 0 ? now + graceSeconds * 1000 : null;
    const patch = {
      apiKeyHash: hashKey(key),
      apiKeySealed: this.o.keys.seal(key),
      previousKeyHash: until ? d.apiKeyHash : null,
      previousKeyUntil: until,
      updatedAt: now,
    };
    this.store.durableTransaction(() => {
      this.store.updateDeployment(d.id, patch);
      this.store.addEvent(
        d.id,
        now,
        'key',
        until
          ? `API key rotated; the old key works until ${new Date(until).toISOString()} (${graceSeconds} s)`
          : 'API key rotated; the old key no longer works',
      );
    });
    this.o.keyChanged?.({ ...d, ...patch });
    this.o.kick();
    return { apiKey: key, previousKeyValidUntil: until };
  }

  /** The last `tail` lines of the started replicas' logs (or of one `replica`), those from `sinceMs` ago on when given (log-window.ts). */
  async logs(name: string, tail: number, o: { replica?: string; sinceMs?: number } = {}): Promise<string[]> {
    const d = this.get(name);
    if (!Number.isInteger(tail) || tail < 1 || tail > 10000) throw invalid('tail', 'must be between 1 and 10000');
    const all = this.store.listReplicas(d.id);
    if (o.replica !== undefined && !all.some((r) => r.id === o.replica)) throw notFound('replica', o.replica);
    const replicas = all.filter((r) => r.startedAt !== null && (o.replica === undefined || r.id === o.replica)).slice(-8);
    const out: string[] = [];
    const provider = this.providerOf(d.zone);
    const cutoff = o.sinceMs === undefined ? undefined : this.o.clock.now() - o.sinceMs;
    for (const r of replicas) {
      const lines = await provider.logs(d.name, r.id, tail);
      for (const line of cutoff === undefined ? lines : linesSince(lines, r.startedAt ?? 0, cutoff)) out.push(`[${r.id}] ${line}`);
    }
    return out.slice(-tail);
  }

  gpuLimits(): GpuLimit[] {
    const quotas = this.store.getQuotas();
    const types = new Set([...this.o.inventory.map((g) => g.type), ...Object.keys(quotas)]);
    return [...types].sort().map((gpuType) => {
      const inventory = this.o.inventory.filter((g) => g.type === gpuType).length;
      const used = this.store
        .listDeployments()
        .filter((d) => d.gpuType === gpuType)
        .reduce((s, d) => s + this.perReplica(d, gpuType, d.zone) * d.replicas, 0);
      const quota = quotas[gpuType] ?? null;
      return { gpuType, used, max: quota ?? inventory, quota, inventory };
    });
  }

  setGpuQuota(gpuType: string, max: number | null): GpuLimit[] {
    checkGpuQuota(gpuType, max);
    this.store.setQuota(gpuType, max);
    return this.gpuLimits();
  }

  /** The most replicas `d` could have within quota and inventory (the autoscaler's placeable bound). */
  placeableReplicas(d: DeploymentRow): number {
    return this.placeable(d).replicas;
  }

  private placeable(d: DeploymentRow): { replicas: number; why: string } {
    return placeableReplicas(this.quotaInput(d, d.gpuType), this.perReplica(d, d.gpuType, d.zone));
  }

  private quotaInput(d: DeploymentRow | undefined, gpuType: string, zone = d?.zone ?? 'local') {
    const quota = this.store.getQuotas()[gpuType];
    const inventory = this.providerOf(zone).capacity(gpuType);
    const usedByOthers = this.store
      .listDeployments()
      .filter((x) => x.gpuType === gpuType && x.id !== d?.id && x.zone === zone)
      .reduce((s, x) => s + this.perReplica(x, gpuType, x.zone) * x.replicas, 0);
    return { gpuType, quota, inventory, usedByOthers };
  }

  /**
   * Refuses wanting more GPUs than the quota (or, with none set, the inventory) allows. A fractional
   * deployment without a quota is bounded by memory at placement instead: its replicas wait, with the
   * memory in their reason, until a GPU has room.
   */
  private checkQuota(d: DeploymentRow | undefined, gpuType: string, wanted: number, zone = d?.zone ?? 'local', fractional = false): void {
    const q = this.quotaInput(d, gpuType, zone);
    if (fractional && q.quota === undefined && q.inventory > 0) return;
    if (q.inventory === 0 && wanted > 0) {
      const types = [...new Set(this.o.inventory.map((g) => g.type))];
      throw new InferscaleError('insufficient_capacity', `gpuType: no ${gpuType} GPU on this server (has: ${types.join(', ') || 'none'})`, {
        field: 'gpuType',
      });
    }
    const v = quotaViolation({ ...q, wanted });
    if (v) throw new InferscaleError('quota_exceeded', v, { field: 'replicas', gpuType, wanted, limit: q.quota ?? q.inventory, used: q.usedByOthers });
  }

  /** Throws when a capacity cannot hold: a floor above the max (or the manual replicas), spot where no spot nodes are declared. */
  private assertCapacity(spec: CapacitySpec, zone: string, maxReplicas: number | null, replicas: number): void {
    assertCapacity(spec, { zone, zoneHasSpot: this.o.zones?.spotNodes?.(zone) ?? false, maxReplicas, replicas });
  }

  /** The memory of this machine's GPUs of a type (the largest; 0 when unknown or none). */
  private typeMemoryMb(gpuType: string): number {
    return typeMemoryMb(this.o.inventory, gpuType);
  }

  /**
   * GPUs one replica counts toward quota and is charged: its GPU count, or its share of one GPU: its memory's
   * share of this machine's GPU, or where the zone's platform places it, what the zone says it holds (a MIG
   * profile's slices, one time-slicing slice). A zone that can no longer say counts a whole GPU.
   */
  private perReplica(d: { gpuCount: number; gpuMemoryMb?: number | null }, gpuType: string, zone: string): number {
    const provider = this.providerOf(zone);
    if (d.gpuMemoryMb && provider.capabilities.placement === 'platform') {
      try {
        return provider.gpuShare?.(gpuType, d.gpuMemoryMb) ?? 1;
      } catch {
        return 1;
      }
    }
    return gpusPerReplica(d, this.typeMemoryMb(gpuType));
  }

  /** What one replica of a stored deployment counts toward quota and is charged (the cost ledger's figure). */
  gpusPerReplica(d: DeploymentRow): number {
    return this.perReplica(d, d.gpuType, d.zone);
  }

  /**
   * A fractional deployment's memory per replica (MiB), or null for whole GPUs. Refused: both gpuMemory and
   * gpuCount, a text that is not a size, more than any GPU of the type has, and zones whose platform places replicas.
   */
  private gpuMemoryOf(input: unknown, text: string | undefined, gpuType: string, zone: string): number | null {
    if (text === undefined) return null;
    if ((input as { gpuCount?: unknown }).gpuCount !== undefined)
      throw invalid('gpuMemory', 'give either gpuMemory (a share of one GPU) or gpuCount (whole GPUs), not both');
    const mb = parseMemorySize(text, 'gpuMemory');
    const provider = this.providerOf(zone);
    if (provider.capabilities.placement === 'platform') {
      if (!provider.checkGpuMemory)
        throw invalid('gpuMemory', `zone ${zone} places replicas itself: fractional GPU deployments run on this server's GPUs (zone local)`);
      provider.checkGpuMemory(gpuType, mb);
      return mb;
    }
    const largest = this.typeMemoryMb(gpuType);
    if (largest === 0)
      throw invalid(
        'gpuMemory',
        `the memory of this server's ${gpuType} GPUs is unknown (virtual GPUs: start the server with --virtual-gpu-memory, e.g. 80Gi)`,
      );
    if (mb > largest) throw invalid('gpuMemory', `${formatMemory(mb)} is more than any ${gpuType} GPU here has (${formatMemory(largest)})`);
    return mb;
  }

  /** The provider that runs a zone's replicas: what it can do is in its capabilities. */
  private providerOf(zone: string): ReplicaProvider {
    return this.o.zones?.providerFor(zone) ?? this.o.provider;
  }

  /** Throws when the zone's replicas cannot load the model: one they fetch themselves (pods), else the model store's. */
  private assertModel(zone: string, engine: string, modelName: string): void {
    if (this.providerOf(zone).capabilities.model === 'fetched-by-replica' && this.o.models?.podModel) this.o.models.podModel(engine, modelName);
    else this.o.models?.assertUsable(engine, modelName);
  }
}

function parseGrace(input: unknown): number {
  const g = input && typeof input === 'object' ? (input as { graceSeconds?: unknown }).graceSeconds : undefined;
  if (g === undefined || g === null) return DEFAULT_KEY_GRACE_S;
  if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g > MAX_KEY_GRACE_S)
    throw invalid('graceSeconds', `must be a whole number of seconds from 0 to ${MAX_KEY_GRACE_S}`);
  return g;
}

/** A GPU quota as the API takes it (and the cluster's settings are checked against): throws invalid_argument. */
export function checkGpuQuota(gpuType: string, max: unknown): asserts max is number | null {
  if (!/^[a-z0-9][a-z0-9._-]{0,31}$/.test(gpuType)) throw invalid('gpuType', 'must be 1-32 of a-z 0-9 . _ -');
  if (max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 100000))
    throw invalid('max', 'must be an integer between 0 and 100000');
}
