import { Pool } from 'undici';
import type { Clock } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { timingSafeEqual } from 'node:crypto';
import { hashKey } from '../security/secrets.js';
import type { Replica } from '../domain/types.js';
import type { DeploymentRow } from '../store/store.js';
import type { RoutedReplica, RouteSink } from '../controller/reconciler.js';
import { Admission } from './admission.js';
import type { RoutableReplica } from './balancer.js';
import { GatewayMetrics, type DeploymentSeries, type ReplicaSeries } from './metrics.js';
import { emptyWindow, type WindowStats } from './window-stats.js';
import { LOCAL_COLD_START_MS } from '../domain/limits.js';
import { sendsStreamUsage } from '../engines/capabilities.js';
import type { EngineSignals } from '../engines/engine-metrics.js';

const EJECT_AFTER_FAILURES = 3;

/** A replica as the gateway sees it: where it is, how busy, and whether it may take new requests. */
export class ReplicaRoute implements RoutableReplica {
  inflight = 0;
  routable = false;
  ready = false;
  draining = false;
  ejected = false;
  /** left the deployment (its series are gone): a request still finishing on it records nothing per replica */
  retired = false;
  consecutiveFailures = 0;
  /** the engine's own signals from its last scrape (engine-scraper.ts); undefined: none, or not readable */
  engine?: EngineSignals;
  readonly pool: Pool;
  readonly series: ReplicaSeries;

  /**
   * `authorization`: the header the replica's engine requires (a local replica's engine key,
   * src/engines/engine-key.ts); undefined: none sent
   */
  constructor(
    readonly id: string,
    readonly url: string,
    readonly deployment: string,
    private readonly metrics: GatewayMetrics,
    readonly authorization?: string,
  ) {
    this.series = metrics.replicaSeries(deployment, id);
    // no connection cap here: the deployment's maxOngoingRequests (Admission) bounds concurrency per replica
    this.pool = new Pool(url, { connections: null, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
  }

  update(state: Replica['state']): void {
    this.ready = state === 'ready';
    this.draining = state === 'draining';
    this.routable = this.ready && !this.ejected;
  }

  recordFailure(): void {
    if (++this.consecutiveFailures >= EJECT_AFTER_FAILURES) {
      this.ejected = true;
      this.routable = false;
    }
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
  }

  /** Takes the replica out for good: no new requests, its pool closes once idle, its metric series go. */
  retire(): void {
    this.retired = true;
    this.routable = false;
    this.metrics.forgetReplica(this.deployment, this.id, this.series.codes());
    void this.pool.close().catch(() => undefined);
  }
}

export class DeploymentRoute {
  keyHash: Buffer;
  /** a rotated key's predecessor, accepted until previousKeyUntil (ms) */
  previousKeyHash: Buffer | null;
  previousKeyUntil: number;
  /** the model name the engines serve */
  modelName: string;
  /** the engine sends a usage event in streams when asked (`stream_options.include_usage`) */
  streamUsage: boolean;
  status: DeploymentRow['status'];
  /** whether requests at zero are held (autoscaling down to zero) rather than refused */
  holdAtZero = false;
  /** the cold start expected now, seconds: a request held at zero is told to retry after it */
  coldStartSeconds: number;
  readonly replicas = new Map<string, ReplicaRoute>();
  readonly admission: Admission<ReplicaRoute>;
  /** this deployment's window counters: the gateway adds, src/history/window.ts drains (window-stats.ts) */
  readonly stats: WindowStats;
  comingReplicas = 0;
  readonly series: DeploymentSeries;

  /** `onWake`: called when a request arrives while nothing is ready and the deployment may wake */
  constructor(
    readonly id: string,
    readonly name: string,
    d: DeploymentRow,
    clock: Clock,
    metrics: GatewayMetrics,
    coldStartSeconds: number,
    onWake: () => void,
  ) {
    this.coldStartSeconds = coldStartSeconds;
    this.series = metrics.deploymentSeries(name);
    this.keyHash = d.apiKeyHash;
    this.previousKeyHash = d.previousKeyHash ?? null;
    this.previousKeyUntil = d.previousKeyUntil ?? 0;
    this.modelName = d.modelName;
    this.streamUsage = sendsStreamUsage(d.engine);
    this.status = d.status;
    this.stats = { ...emptyWindow(), lastActivityAt: clock.now() };
    this.admission = new Admission<ReplicaRoute>({
      clock,
      maxOngoingPerReplica: d.maxOngoingRequests,
      maxQueued: d.maxQueuedRequests,
      queueTimeoutMs: d.queueTimeoutMs,
      retryAfterSeconds: () => Math.max(1, Math.ceil(this.coldStartSeconds)),
      whenEmpty: () => (this.holdAtZero ? 'hold' : 'reject'),
      onWake,
      comingReplicas: () => this.comingReplicas,
    });
  }

  /** Whether a key with this SHA-256 opens the deployment at `now`: the current key, or the previous one within its grace. */
  opensWithHash(hash: Buffer, now: number): boolean {
    const prev = this.previousKeyHash;
    const current = sameHash(hash, this.keyHash);
    // both compared, so the time taken says nothing about which one matched
    const previous = prev !== null && sameHash(hash, prev);
    return current || (previous && now < this.previousKeyUntil);
  }

  opens(key: string, now: number): boolean {
    return this.opensWithHash(hashKey(key), now);
  }
}

function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RouteTableOptions {
  /** a request arrived at a deployment with nothing ready that may wake (the server's wake fan-out: autoscaler, KEDA; default: none) */
  wake?: (deploymentId: string) => void;
  /** the cold start a deployment's next replica is expected to take, ms: a request held at zero is told to retry after it (default: LOCAL_COLD_START_MS) */
  coldStartMs?: (deploymentId: string) => number;
  /** the wake a deployment's sleeping replica is expected to take, ms (default: the cold start) */
  wakeMs?: (deploymentId: string) => number;
  /** a local replica's engine key, sent with each request to it (src/engines/engine-key.ts) */
  engineKey?: (replicaId: string) => string;
}

/**
 * The gateway's live view of every deployment, fed by the reconciler (RouteSink). Looked up by name on
 * each request; replica objects keep their in-flight counts across syncs.
 */
export class RouteTable implements RouteSink {
  private readonly byName = new Map<string, DeploymentRoute>();
  private readonly byId = new Map<string, DeploymentRoute>();
  private readonly replicaIndex = new Map<string, ReplicaRoute>();
  /** deployments by the hex SHA-256 of their API key: a key names its deployments before any body is read */
  private readonly byKeyHash = new Map<string, Set<DeploymentRoute>>();
  /** the gateway's Prometheus metrics, reading this table's live state at scrape time */
  readonly metrics: GatewayMetrics;

  constructor(
    private readonly clock: Clock,
    private readonly o: RouteTableOptions = {},
  ) {
    this.metrics = new GatewayMetrics({
      live: () =>
        [...this.byId.values()].map((r) => ({ name: r.name, ongoing: r.admission.ongoing, queued: r.admission.queued, replicas: r.replicas.values() })),
    });
  }

  get(name: string): DeploymentRoute | undefined {
    return this.byName.get(name);
  }

  getById(id: string): DeploymentRoute | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<DeploymentRoute> {
    return this.byId.values();
  }

  /** Every replica of every deployment (ready or not). */
  replicas(): IterableIterator<ReplicaRoute> {
    return this.replicaIndex.values();
  }

  /**
   * The deployments this API key opens (usually one; none for a wrong key): by its current key, or by a
   * rotated one within its grace. Looked up by the key's SHA-256, which tells a timing observer nothing
   * about any stored key.
   */
  byKey(key: string): ReadonlySet<DeploymentRoute> {
    const hash = hashKey(key);
    const set = this.byKeyHash.get(hash.toString('hex'));
    if (!set) return NO_ROUTES;
    const now = this.clock.now();
    for (const r of set) if (!r.opensWithHash(hash, now)) return new Set([...set].filter((x) => x.opensWithHash(hash, now)));
    return set;
  }

  /**
   * Takes a deployment's new or rotated key at once (the API calls this before it answers a rotation, so
   * the new key works as soon as the caller has it; the reconciler's next sync would bring it too).
   */
  setKeys(d: Pick<DeploymentRow, 'id' | 'apiKeyHash' | 'previousKeyHash' | 'previousKeyUntil'>): void {
    const route = this.byId.get(d.id);
    if (route) this.indexKey(route, d);
  }

  /** Files the route under its key's hash and its previous key's (undefined: takes it out of the index). */
  private indexKey(route: DeploymentRoute, d: Pick<DeploymentRow, 'apiKeyHash' | 'previousKeyHash' | 'previousKeyUntil'> | undefined): void {
    for (const h of [route.keyHash, route.previousKeyHash]) {
      if (!h) continue;
      const hex = h.toString('hex');
      const set = this.byKeyHash.get(hex);
      set?.delete(route);
      if (set?.size === 0) this.byKeyHash.delete(hex);
    }
    if (!d) return;
    route.keyHash = d.apiKeyHash;
    route.previousKeyHash = d.previousKeyHash ?? null;
    route.previousKeyUntil = d.previousKeyUntil ?? 0;
    for (const h of [route.keyHash, route.previousKeyHash]) {
      if (!h) continue;
      const hex = h.toString('hex');
      const set = this.byKeyHash.get(hex);
      if (set) set.add(route);
      else this.byKeyHash.set(hex, new Set([route]));
    }
  }

  sync(d: DeploymentRow, replicas: readonly RoutedReplica[], comingReplicas = 0, sleepingReplicas = 0): void {
    let route = this.byId.get(d.id);
    // a deployment whose replicas sleep is a wake away, not a cold start: held requests are told so
    const coldStartSeconds = (sleepingReplicas > 0 && this.o.wakeMs ? this.o.wakeMs(d.id) : (this.o.coldStartMs?.(d.id) ?? LOCAL_COLD_START_MS)) / 1000;
    if (!route) {
      route = new DeploymentRoute(d.id, d.name, d, this.clock, this.metrics, coldStartSeconds, () => this.o.wake?.(d.id));
      this.byId.set(d.id, route);
      this.byName.set(d.name, route);
      this.indexKey(route, d);
    } else if (
      !route.keyHash.equals(d.apiKeyHash) ||
      !sameOrNone(route.previousKeyHash, d.previousKeyHash) ||
      route.previousKeyUntil !== (d.previousKeyUntil ?? 0)
    )
      this.indexKey(route, d);
    route.modelName = d.modelName;
    route.streamUsage = sendsStreamUsage(d.engine);
    route.status = d.status;
    // deleting: the URL is gone at once; requests waiting in its queue are told so now, not at their timeout
    if (d.deleting) route.admission.close(deletedError(d.name));
    // replicas asleep: nothing ready but one wakes on the first request, like a deployment at zero
    route.holdAtZero = !!d.autoscale && (d.autoscale.minReplicas === 0 || sleepingReplicas > 0) && !d.deleting;
    route.comingReplicas = comingReplicas;
    route.coldStartSeconds = coldStartSeconds;
    const seen = new Set<string>();
    for (const r of replicas) {
      if (r.port === null && !r.url) continue;
      seen.add(r.id);
      const url = r.url ?? `http://127.0.0.1:${r.port}`;
      let rr = route.replicas.get(r.id);
      if (rr && rr.url !== url) {
        // the same replica at a new address (bound to another pod): requests in flight finish on the old pool
        void rr.pool.close().catch(() => undefined);
        rr = undefined;
      }
      if (!rr) {
        const key = (r.engineKey ?? !r.url) && this.o.engineKey ? this.o.engineKey(r.id) : undefined;
        rr = new ReplicaRoute(r.id, url, d.name, this.metrics, key ? `Bearer ${key}` : undefined);
        route.replicas.set(r.id, rr);
        this.replicaIndex.set(r.id, rr);
      }
      rr.update(r.state);
    }
    for (const [id, rr] of route.replicas) {
      if (seen.has(id)) continue;
      route.replicas.delete(id);
      this.replicaIndex.delete(id);
      rr.retire();
    }
    route.admission.setReplicas([...route.replicas.values()]);
    // a PATCH of the limits applies to this very queue, not after a restart
    route.admission.setLimits({ maxOngoingPerReplica: d.maxOngoingRequests, maxQueued: d.maxQueuedRequests, queueTimeoutMs: d.queueTimeoutMs });
    this.metrics.desired.set({ deployment: d.name }, d.replicas);
  }

  /** Marks a replica healthy again after the reconciler's probe (ends an ejection). */
  readmit(replicaId: string): void {
    const rr = this.replicaIndex.get(replicaId);
    if (!rr?.ejected) return;
    rr.ejected = false;
    rr.consecutiveFailures = 0;
    rr.routable = rr.ready;
  }

  remove(deploymentId: string): void {
    const route = this.byId.get(deploymentId);
    if (!route) return;
    this.byId.delete(deploymentId);
    this.byName.delete(route.name);
    this.indexKey(route, undefined);
    route.admission.close(deletedError(route.name));
    const codes = new Set<string>();
    for (const rr of route.replicas.values()) {
      this.replicaIndex.delete(rr.id);
      for (const c of rr.series.codes()) codes.add(c);
      rr.retired = true;
      rr.routable = false;
      void rr.pool.close().catch(() => undefined);
    }
    for (const c of route.series.rejected.codes()) codes.add(c);
    this.metrics.forget(route.name, [...route.replicas.keys(), 'none'], [...codes]);
  }

  inflight(replicaId: string): number {
    return this.replicaIndex.get(replicaId)?.inflight ?? 0;
  }

  ejected(replicaId: string): boolean {
    return this.replicaIndex.get(replicaId)?.ejected ?? false;
  }

  async close(): Promise<void> {
    await Promise.all([...this.replicaIndex.values()].map((r) => r.pool.close().catch(() => undefined)));
  }
}

const NO_ROUTES: ReadonlySet<DeploymentRoute> = new Set();

function sameOrNone(a: Buffer | null, b: Buffer | null | undefined): boolean {
  return a === null || !b ? a === null && !b : a.equals(b);
}

function deletedError(name: string): InferscaleError {
  return new InferscaleError('deployment_deleted', `deployment "${name}" is being deleted`);
}
