import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ACTIVE_STATES, type Replica } from '../domain/types.js';
import { deriveStatus } from '../domain/status.js';
import type { DeploymentRow, Store } from '../store/store.js';
import type { GpuDevice } from '../placement/inventory.js';
import { placeReplica } from '../placement/placement.js';
import type { ExitInfo, ReplicaHandle, ReplicaProvider } from '../providers/types.js';
import { engineDriver } from '../engines/registry.js';
import { planReplicas } from './plan.js';
import type { PodModel } from '../domain/pod-model.js';
import { isStorageFull, type StorageStatus } from '../store/storage-status.js';

/** how often a deployment's events are pruned */
const EVENTS_PRUNE_EVERY_MS = 60_000;

/** What the reconciler tells the data plane: which replicas of a deployment exist and where. */
/** A replica the gateway routes to: at `url` when given (a pod), else at 127.0.0.1:port. */
export type RoutedReplica = Replica & { url?: string };

export interface RouteSink {
  /** `comingReplicas`: pending and starting replicas, capacity on its way */
  sync(d: DeploymentRow, replicas: readonly RoutedReplica[], comingReplicas?: number): void;
  /** a replica taken out of rotation after failures passed its health check again */
  readmit(replicaId: string): void;
  remove(deploymentId: string): void;
  /** requests in flight at a replica, counted by the gateway */
  inflight(replicaId: string): number;
  /** true when the gateway took a replica out of rotation after repeated failures */
  ejected(replicaId: string): boolean;
}

export interface ReconcilerOptions {
  store: Store;
  /** where a full disk is reported once instead of logged every pass (src/store/storage-status.ts) */
  storage?: StorageStatus;
  /** a local replica's engine key (src/engines/engine-key.ts); absent: replicas take requests without one */
  engineKey?: (replicaId: string) => string;
  provider: ReplicaProvider;
  /** providers of the other zones (Kubernetes), by zone name; deployments of any other zone use `provider` */
  zoneProviders?: ReadonlyMap<string, ReplicaProvider>;
  clock: Clock;
  inventory: readonly GpuDevice[];
  routes: RouteSink;
  log: (line: string) => void;
  tickMs?: number;
  /** a replica not healthy after this long is failed and replaced */
  startupTimeoutMs?: number;
  /** grace between SIGTERM and SIGKILL */
  stopGraceMs?: number;
  /** the stored model file a replica loads (model store); throws when the model cannot be served now */
  modelPath?: (d: DeploymentRow) => string | undefined;
  /** the model file a pod fetches itself (Kubernetes zones); throws when pods cannot fetch it */
  podModel?: (d: DeploymentRow) => PodModel | undefined;
  /** after a deployment's row is deleted (its replicas are gone): drop what other modules keep about it */
  onDeleted?: (d: DeploymentRow) => void;
}

const HEALTH_EVERY_MS = 2000;
const HEALTH_FAILURES = 3;

/**
 * Converges replicas to each deployment's desired state: places and starts pending replicas, marks
 * them ready when healthy, replaces failed ones with backoff, drains and stops the ones scaled away,
 * and deletes deployments marked for deletion. State changes go to the store first, then to the routes.
 */
export class Reconciler {
  private timer?: { cancel(): void };
  private running = false;
  private again = false;
  private stopped = false;
  private readonly drainingSince = new Map<string, number>();
  private readonly stopping = new Set<string>();
  private readonly lastHealth = new Map<string, number>();
  private readonly healthFailures = new Map<string, number>();
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  private readonly pendingReason = new Map<string, string>();
  /** when a replica of a provider that places itself got capacity (its pod was scheduled) */
  private readonly capacityAt = new Map<string, number>();
  private readonly progress = new Map<string, { text: string; at: number }>();
  private readonly tickMs: number;
  /** when each deployment's events were last pruned (store.pruneEvents: by age and count) */
  private readonly eventsPrunedAt = new Map<string, number>();

  constructor(private readonly o: ReconcilerOptions) {
    this.tickMs = o.tickMs ?? 500;
    o.provider.onExit((info) => this.onExit(info));
    for (const p of o.zoneProviders?.values() ?? []) p.onExit((info) => this.onExit(info));
  }

  private providerOf(d: { zone: string } | undefined): ReplicaProvider {
    return (d && this.o.zoneProviders?.get(d.zone)) || this.o.provider;
  }

  /** Adopts replicas left running by an earlier server, then starts the loop. */
  start(): void {
    const now = this.o.clock.now();
    for (const r of this.o.store.listLiveReplicas()) {
      if (r.state === 'pending') continue;
      const handle = this.handle(r);
      if (handle && this.providerOf(this.o.store.getDeployment(r.deploymentId)).adopt(handle)) {
        if (r.state === 'draining') this.drainingSince.set(r.id, now);
        this.o.log(`adopted replica ${r.id} (pid ${r.pid}, port ${r.port}, ${r.state})`);
      } else {
        // gone, or its pid now another program's (never signalled): replaced
        this.o.store.updateReplica(r.id, { state: 'failed', stateReason: 'process gone after server restart', stoppedAt: now, gpus: [] });
        this.o.store.addEvent(r.deploymentId, now, 'replica', `replica ${r.id} was gone after the server restarted (no process of its own at pid ${r.pid}); replacing it`);
      }
    }
    for (const d of this.o.store.listDeployments()) this.o.routes.sync(d, this.routed(d, this.o.store.listReplicas(d.id, ['ready', 'draining'])));
    this.schedule(0);
  }

  /** Stops the loop and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    while (this.running) await this.o.clock.sleep(10);
  }

  /** Runs a reconcile pass soon (coalesced), e.g. after an API change. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimeout(() => void this.tick(), ms);
  }

  /** One pass over every deployment. Exposed for tests. */
  async tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      for (const d of this.o.store.listDeployments()) {
        try {
          await this.reconcile(d);
        } catch (e) {
          // a full disk is said once (storage-status.ts); the next pass tries again
          if (this.o.storage && isStorageFull(e)) this.o.storage.failed('controller', e as Error);
          else this.o.log(`reconcile ${d.name}: ${(e as Error).stack ?? e}`);
        }
      }
    } finally {
      this.running = false;
      const again = this.again;
      this.again = false;
      this.schedule(again ? 0 : this.tickMs);
    }
  }

  private async reconcile(d: DeploymentRow): Promise<void> {
    const { store, clock } = this.o;
    const now = clock.now();
    const all = store.listReplicas(d.id);
    const live = all.filter((r) => r.state !== 'stopped' && r.state !== 'failed');
    const active = live.filter((r) => ACTIVE_STATES.includes(r.state));
    const desired = d.deleting ? 0 : d.replicas;

    const bo = this.backoff.get(d.id);
    const plan = planReplicas({
      desired,
      generation: d.generation,
      active: d.deleting ? active.map((r) => ({ ...r, generation: d.generation })) : active,
      inflight: (id) => this.o.routes.inflight(id),
      mayCreate: !bo || bo.until <= now,
    });
    for (let i = 0; i < plan.create; i++) this.createReplica(d, now);
    for (const r of plan.remove) this.removeReplica(d, r, now, plan.reason);
    if (plan.remove.length > 0) {
      // the gateway stops routing to them now, before checkDraining reads their in-flight count and may stop one
      const coming = store.listReplicas(d.id, ['pending', 'starting']).length;
      this.o.routes.sync(d, this.routed(d, store.listReplicas(d.id, ['ready', 'draining'])), coming);
    }

    for (const r of store.listReplicas(d.id, ['pending', 'starting', 'ready', 'draining'])) {
      if (r.state === 'pending') await this.startPending(d, r);
      else if (r.state === 'starting') await this.checkStarting(d, r, now);
      else if (r.state === 'ready') await this.checkReady(d, r, now);
      else if (r.state === 'draining') await this.checkDraining(d, r, now);
    }

    if (now - (this.eventsPrunedAt.get(d.id) ?? 0) >= EVENTS_PRUNE_EVERY_MS) {
      this.eventsPrunedAt.set(d.id, now);
      store.pruneEvents(d.id, now);
    }
    const after = store.listReplicas(d.id);
    const routed = after.filter((r) => r.state === 'ready' || r.state === 'draining');
    if (d.deleting && after.every((r) => r.state === 'stopped' || r.state === 'failed')) {
      await this.providerOf(d).removeDeployment?.(d.name);
      store.deleteDeployment(d.id);
      this.o.routes.remove(d.id);
      this.o.onDeleted?.(d);
      this.o.log(`deployment ${d.name} deleted`);
      return;
    }
    const everReady = d.everReady || after.some((r) => r.state === 'ready');
    const st = deriveStatus({ desired, replicas: after.filter((r) => r.state !== 'stopped' && !(r.state === 'failed' && (r.stoppedAt ?? 0) < now - 300_000)), everReady, generation: d.generation, deleting: d.deleting });
    const fresh = store.getDeployment(d.id);
    if (!fresh || fresh.updatedAt !== d.updatedAt) {
      // changed by the API during this pass: the next pass derives the status from the new desired state
      this.kick();
      return;
    }
    if (st.status !== d.status || st.details !== d.statusDetails || everReady !== d.everReady) {
      store.updateDeployment(d.id, { status: st.status, statusDetails: st.details, everReady });
      if (st.status !== d.status) store.addEvent(d.id, now, 'status', `${d.status} -> ${st.status}: ${st.details}`);
    }
    const coming = after.filter((r) => r.state === 'pending' || r.state === 'starting').length;
    this.o.routes.sync({ ...d, status: st.status, everReady }, this.routed(d, routed), coming);
    if (this.o.store.listReplicas(d.id, ['stopped', 'failed']).length > 60) store.pruneReplicas(d.id);
  }

  private createReplica(d: DeploymentRow, now: number): void {
    const r: Replica = {
      id: `${d.name}-${randomBytes(3).toString('hex')}`,
      deploymentId: d.id,
      state: 'pending',
      stateReason: 'waiting for placement',
      gpus: [],
      pid: null,
      port: null,
      generation: d.generation,
      createdAt: now,
      startedAt: null,
      readyAt: null,
      stoppedAt: null,
      coldStartMs: null,
      exitInfo: '',
    };
    this.o.store.insertReplica(r);
    this.o.store.addEvent(d.id, now, 'replica', `replica ${r.id} created (pending)`);
  }

  private removeReplica(d: DeploymentRow, r: Replica, now: number, why: string): void {
    const { store } = this.o;
    if (r.state === 'ready') {
      store.updateReplica(r.id, { state: 'draining', stateReason: 'scaled away: finishing in-flight requests' });
      this.drainingSince.set(r.id, now);
      store.addEvent(d.id, now, 'replica', `replica ${r.id} draining (${why})`);
      return;
    }
    store.updateReplica(r.id, { state: 'draining', stateReason: 'scaled away before ready' });
    this.drainingSince.set(r.id, now - d.drainTimeoutMs - 1);
    store.addEvent(d.id, now, 'replica', `replica ${r.id} stopped before ready (${why})`);
  }

  private heldGpus(): Set<number> {
    const held = new Set<number>();
    for (const r of this.o.store.listLiveReplicas()) for (const g of r.gpus) held.add(g);
    return held;
  }

  private async startPending(d: DeploymentRow, r: Replica): Promise<void> {
    const { store, clock } = this.o;
    const provider = this.providerOf(d);
    // a cluster's scheduler places its pods: no local GPU placement
    const placed = provider.placesItself ? { ok: true as const, gpus: [] as number[] } : placeReplica(this.o.inventory, this.heldGpus(), d.gpuType, d.gpuCount);
    if (!placed.ok) {
      if (this.pendingReason.get(r.id) !== placed.reason) {
        this.pendingReason.set(r.id, placed.reason);
        store.updateReplica(r.id, { stateReason: placed.reason });
        store.addEvent(d.id, clock.now(), 'replica', `replica ${r.id} pending: ${placed.reason}`);
      }
      return;
    }
    this.pendingReason.delete(r.id);
    const startedAt = clock.now();
    store.updateReplica(r.id, { state: 'starting', stateReason: 'starting engine', gpus: placed.gpus, startedAt });
    try {
      const h = await provider.start(r.id, d.name, engineDriver(d.engine), {
        modelName: d.modelName,
        modelPath: provider.placesItself ? undefined : this.o.modelPath?.(d),
        engineParams: d.engineParams,
        gpus: placed.gpus,
        gpuCount: d.gpuCount,
        // pods are reached through the cluster's network, fenced by deploy/'s NetworkPolicy instead
        apiKey: provider.placesItself ? undefined : this.o.engineKey?.(r.id),
      }, { zone: d.zone, gpuType: d.gpuType, drainTimeoutMs: d.drainTimeoutMs, labels: d.labels, model: provider.placesItself ? this.o.podModel?.(d) : undefined });
      store.updateReplica(r.id, { pid: h.pid, pidStart: h.pidStart ?? null, port: h.port, stateReason: 'loading model' });
      const where = provider.placesItself ? `in zone ${d.zone} (${d.gpuCount} x ${d.gpuType})` : `on GPUs ${placed.gpus.join(',')} (pid ${h.pid}, port ${h.port})`;
      store.addEvent(d.id, startedAt, 'replica', `replica ${r.id} starting ${where}`);
    } catch (e) {
      this.fail(d, r, `could not start: ${(e as Error).message}`);
    }
  }

  private async checkStarting(d: DeploymentRow, r: Replica, now: number): Promise<void> {
    const h = this.handle(r);
    if (!h) return;
    const provider = this.providerOf(d);
    const p = await provider.probe(h, engineDriver(d.engine));
    const cur = this.o.store.listReplicas(d.id).find((x) => x.id === r.id);
    if (!cur || cur.state !== 'starting') return;
    // waiting for a node (Karpenter) is not a failed start: the startup timeout counts from when capacity came
    const waiting = provider.waitingForCapacity?.(h) ?? false;
    if (waiting) this.capacityAt.delete(r.id);
    else if (provider.waitingForCapacity && !this.capacityAt.has(r.id)) this.capacityAt.set(r.id, now);
    if (p === 'starting') this.noteProgress(d, r, provider.describe?.(h), now);
    const t = this.o.clock.now();
    if (p === 'ready') {
      const coldStartMs = t - (r.startedAt ?? t);
      this.o.store.updateReplica(r.id, { state: 'ready', stateReason: '', readyAt: t, coldStartMs });
      this.o.store.addEvent(d.id, t, 'replica', `replica ${r.id} ready after ${(coldStartMs / 1000).toFixed(1)} s cold start`);
      this.backoff.delete(d.id);
    } else if (p === 'gone') {
      this.fail(d, r, 'process exited while starting');
    } else if (!waiting && now - (this.capacityAt.get(r.id) ?? r.startedAt ?? now) > (this.o.startupTimeoutMs ?? 600_000)) {
      await provider.stop(h, 1000);
      this.fail(d, r, `not healthy after ${Math.round((this.o.startupTimeoutMs ?? 600_000) / 1000)} s`);
    }
  }

  private async checkReady(d: DeploymentRow, r: Replica, now: number): Promise<void> {
    if (now - (this.lastHealth.get(r.id) ?? 0) < HEALTH_EVERY_MS && !this.o.routes.ejected(r.id)) return;
    this.lastHealth.set(r.id, now);
    const h = this.handle(r);
    if (!h) return;
    const p = await this.providerOf(d).probe(h, engineDriver(d.engine));
    if (p === 'ready') {
      this.healthFailures.delete(r.id);
      this.o.routes.readmit(r.id);
      return;
    }
    const n = (this.healthFailures.get(r.id) ?? 0) + 1;
    this.healthFailures.set(r.id, n);
    if (p === 'gone' || n >= HEALTH_FAILURES) {
      await this.providerOf(d).stop(h, 1000);
      this.fail(d, r, p === 'gone' ? 'process exited' : `health check failed ${n} times`);
    }
  }

  private async checkDraining(d: DeploymentRow, r: Replica, now: number): Promise<void> {
    if (this.stopping.has(r.id)) return;
    const since = this.drainingSince.get(r.id) ?? now;
    if (!this.drainingSince.has(r.id)) this.drainingSince.set(r.id, now);
    const inflight = this.o.routes.inflight(r.id);
    if (inflight > 0 && now - since < d.drainTimeoutMs) return;
    this.stopping.add(r.id);
    const h = this.handle(r);
    try {
      if (h) await this.providerOf(d).stop(h, this.o.stopGraceMs ?? 10_000);
    } finally {
      this.stopping.delete(r.id);
    }
    const t = this.o.clock.now();
    this.o.store.updateReplica(r.id, { state: 'stopped', stateReason: inflight > 0 ? `drain timeout with ${inflight} in flight` : 'drained', stoppedAt: t, gpus: [] });
    this.o.store.addEvent(d.id, t, 'replica', `replica ${r.id} stopped${inflight > 0 ? ` after drain timeout (${inflight} in flight)` : ' after draining'}`);
    this.drainingSince.delete(r.id);
    this.forget(r.id);
  }

  private fail(d: DeploymentRow, r: Replica, why: string): void {
    const now = this.o.clock.now();
    this.o.store.updateReplica(r.id, { state: 'failed', stateReason: why, stoppedAt: now, gpus: [], exitInfo: why });
    this.o.store.addEvent(d.id, now, 'replica', `replica ${r.id} failed: ${why}; replacing it`);
    const prev = this.backoff.get(d.id);
    const failures = (prev?.failures ?? 0) + 1;
    this.backoff.set(d.id, { failures, until: now + Math.min(60_000, 500 * 2 ** (failures - 1)) });
    this.forget(r.id);
    this.kick();
  }

  /** Shows why a starting replica is not ready (e.g. waiting for a GPU node, with its age); an event when the kind of wait changes. */
  private noteProgress(d: DeploymentRow, r: Replica, text: string | undefined, now: number): void {
    if (!text) return;
    const prev = this.progress.get(r.id);
    const kind = (t: string) => t.replace(/\d+[hms]\d*[ms]?/g, '').replace(/\d+/g, '#');
    if (prev && kind(prev.text) === kind(text) && now - prev.at < 5000) return;
    this.progress.set(r.id, { text, at: now });
    this.o.store.updateReplica(r.id, { stateReason: text });
    if (!prev || kind(prev.text) !== kind(text)) this.o.store.addEvent(d.id, now, 'replica', `replica ${r.id}: ${text}`);
  }

  private forget(id: string): void {
    this.capacityAt.delete(id);
    this.progress.delete(id);
    this.lastHealth.delete(id);
    this.healthFailures.delete(id);
    this.pendingReason.delete(id);
  }

  private onExit(info: ExitInfo): void {
    if (this.stopped) return;
    const r = this.o.store.listLiveReplicas().find((x) => x.id === info.replicaId);
    if (!r || this.stopping.has(r.id)) return;
    const d = this.o.store.getDeployment(r.deploymentId);
    if (!d) return;
    if (r.state === 'starting' || r.state === 'ready' || r.state === 'draining') {
      this.fail(d, r, `process exited (${info.signal ? `signal ${info.signal}` : `code ${info.code}`})`);
    }
  }

  /** The replicas with the address their provider routes them at (pods: their current IP). */
  private routed(d: DeploymentRow, replicas: Replica[]): RoutedReplica[] {
    const p = this.providerOf(d);
    if (!p.routeUrl) return replicas;
    return replicas.map((r) => {
      const url = p.routeUrl!(r.id);
      return url ? { ...r, url } : r;
    });
  }

  private handle(r: Replica): ReplicaHandle | undefined {
    if (r.port === null) return undefined;
    return { replicaId: r.id, pid: r.pid, pidStart: r.pidStart, port: r.port, url: `http://127.0.0.1:${r.port}` };
  }
}
