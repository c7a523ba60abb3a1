import { ACTIVE_STATES, type Replica } from '../domain/types.js';
import { deriveStatus } from '../domain/status.js';
import type { DeploymentRow, ReplicaRow } from '../store/store.js';
import type { ExitInfo, ReplicaHandle, ReplicaProvider, SleepResult } from '../providers/types.js';
import { engineDriver } from '../engines/registry.js';
import { planReplicas } from './plan.js';
import { backoffMs, crashBackoff, decideDraining, decideReady, decideStarting, sleepAllowed, sleeperMustStop, type ReplicaAction } from './replica-machine.js';
import { evictForRam, pickWakes } from './sleepers.js';
import { gpuHolds } from '../placement/holds.js';
import type { SleeperBinding } from '../placement/sleeper-placement.js';
import { formatRam, sleepHint, sleptRamNote } from './sleep-ram.js';
import { sleepEndpoints } from '../engines/sleep-mode.js';
import { HealthProber } from './health-prober.js';
import { createReplica, startReplica, type ReplicaStartOptions } from './replica-start.js';
import { isStorageFull, type StorageStatus } from '../store/storage-status.js';

/** how often a deployment's events are pruned */
const EVENTS_PRUNE_EVERY_MS = 60_000;

/**
 * What the reconciler tells the data plane: which replicas of a deployment exist and where. A replica the
 * gateway routes to is at `url` (its provider's `replicaUrl`); `engineKey`: its engine takes requests only
 * with its engine key (local processes). Without them (older senders): 127.0.0.1:port with a key, a url without.
 */
export type RoutedReplica = Replica & { url?: string; engineKey?: boolean };

export interface RouteSink {
  /**
   * `comingReplicas`: pending and starting replicas, capacity on its way; `sleepingReplicas`: replicas asleep,
   * a wake away (a deployment whose replicas all sleep holds its requests and wakes one, like one at zero)
   */
  sync(d: DeploymentRow, replicas: readonly RoutedReplica[], comingReplicas?: number, sleepingReplicas?: number): void;
  /** a replica taken out of rotation after failures passed its health check again */
  readmit(replicaId: string): void;
  remove(deploymentId: string): void;
  /** requests in flight at a replica, counted by the gateway */
  inflight(replicaId: string): number;
  /** true when the gateway took a replica out of rotation after repeated failures */
  ejected(replicaId: string): boolean;
}

export interface ReconcilerOptions extends ReplicaStartOptions {
  /** where a full disk is reported once instead of logged every pass (src/store/storage-status.ts) */
  storage?: StorageStatus;
  /** the provider of each zone, by zone name (src/zones/registry.ts); what each can do is in its capabilities */
  providers: ReadonlyMap<string, ReplicaProvider>;
  routes: RouteSink;
  log: (line: string) => void;
  tickMs?: number;
  /** a replica not healthy after this long is failed and replaced */
  startupTimeoutMs?: number;
  /** grace between SIGTERM and SIGKILL */
  stopGraceMs?: number;
  /** after a deployment's row is deleted (its replicas are gone): drop what other modules keep about it */
  onDeleted?: (d: DeploymentRow) => void;
  /** host RAM that sleeping replicas may hold together (`server --sleep-ram`); past it the least recently slept stop. Default: no bound */
  sleepRamBytes?: number;
  /**
   * A mixed deployment's on-demand floor and which of its replicas run on on-demand nodes (issue #17), so a
   * scale-down takes the floor's replicas last; undefined: no floor to keep
   */
  onDemandFloor?: (deploymentId: string) => { onDemandFloor: number; onDemand: (replicaId: string) => boolean } | undefined;
}

/** whether a replica's row is still the one read earlier, every column */
const sameRow = (a: ReplicaRow, b: ReplicaRow | undefined) => !!b && JSON.stringify(a) === JSON.stringify(b);

/**
 * Converges replicas to each deployment's desired state: plan, validate, execute. Each pass plans the
 * deployment's replicas (plan.ts: create, remove), gathers each replica's facts (its probe, the prober's
 * count of failed health checks, in-flight requests), asks the replica state machine (replica-machine.ts)
 * what to do, and runs that action only if the replica's row is still the one the plan was made from (a row
 * changed since, e.g. by a crash reported meanwhile, is skipped: the next pass plans again). The drain
 * start and the crash backoff live in the replica rows, so a restart or failover keeps them. State changes
 * go to the store first, then to the routes.
 */
export class Reconciler {
  private timer?: { cancel(): void };
  /** the pass in progress, and the one asked for while it runs (coalesced) */
  private pass: Promise<void> | undefined;
  private follow: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** replicas being stopped now (their provider's exit report is ours, not a crash) */
  private readonly stopping = new Set<string>();
  private readonly health = new HealthProber();
  /** when a replica of a provider that waits for capacity got it (its pod was scheduled) */
  private readonly capacityAt = new Map<string, number>();
  /** the last progress note shown per starting replica, so a note is written at most every 5 s */
  private readonly progress = new Map<string, { text: string; at: number }>();
  private readonly tickMs: number;
  /** when each deployment's events were last pruned (store.pruneEvents: by age and count) */
  private readonly eventsPrunedAt = new Map<string, number>();
  /** deployments whose zone no provider serves (its zone left the zones file), said once each */
  private readonly unserved = new Set<string>();
  /** replicas waking from sleep now (their provider's wake in flight): not probed, they turn ready when it resolves */
  private readonly waking = new Set<string>();

  constructor(private readonly o: ReconcilerOptions) {
    this.tickMs = o.tickMs ?? 500;
    for (const p of new Set(o.providers.values())) p.onExit((info) => this.onExit(info));
  }

  /** Adopts replicas left running by an earlier server, then starts the loop. */
  start(): void {
    const now = this.o.clock.now();
    for (const r of this.o.store.listLiveReplicas()) {
      if (r.state === 'pending') continue;
      const d = this.o.store.getDeployment(r.deploymentId);
      const provider = d && this.o.providers.get(d.zone);
      const handle = provider && this.handle(provider, r);
      if (provider && handle && provider.adopt(handle)) {
        // a draining replica keeps the drain start of its row: its deadline does not move with the restart
        if (r.state === 'draining' && r.drainStartedAt == null) this.o.store.updateReplica(r.id, { drainStartedAt: now });
        this.o.log(`adopted replica ${r.id} (pid ${r.pid}, port ${r.port}, ${r.state})`);
      } else {
        // gone, or its pid now another program's (never signalled): replaced
        this.o.store.updateReplica(r.id, { state: 'failed', stateReason: 'process gone after server restart', stoppedAt: now, gpus: [] });
        this.o.store.addEvent(
          r.deploymentId,
          now,
          'replica',
          `replica ${r.id} was gone after the server restarted (no process of its own at pid ${r.pid}); replacing it`,
        );
      }
    }
    for (const { d, r } of this.sleepers()) {
      // a sleeper left by an earlier server: kept if its process is still its own, else it is gone
      const provider = this.o.providers.get(d.zone);
      const handle = provider && this.handle(provider, r);
      if (provider && handle && provider.adopt(handle)) this.o.log(`adopted sleeping replica ${r.id} (pid ${r.pid})`);
      else this.o.store.updateReplica(r.id, { state: 'stopped', stateReason: 'process gone after server restart (was asleep)', stoppedAt: now, gpus: [] });
    }
    for (const d of this.o.store.listDeployments()) {
      const p = this.o.providers.get(d.zone);
      if (p) this.o.routes.sync(d, this.routed(p, this.o.store.listReplicas(d.id, ['ready', 'draining'])));
    }
    this.schedule(0);
  }

  /** Stops the loop and waits for a pass in progress to finish (not on the clock: a fake one may never move). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    while (this.pass || this.follow) await (this.follow ?? this.pass);
  }

  /** Runs a reconcile pass soon (coalesced), e.g. after an API change. */
  kick(): void {
    if (this.pass) {
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

  /**
   * One pass over every deployment; resolves once a whole pass has run after this call. Called while a pass
   * runs, it runs one more after it (shared by every such call) and resolves when that one ends.
   */
  tick(): Promise<void> {
    if (this.pass) {
      this.follow ??= this.pass.then(() => {
        this.follow = undefined;
        return this.stopped ? undefined : this.tick();
      });
      return this.follow;
    }
    const pass: Promise<void> = this.runPass().finally(() => {
      if (this.pass === pass) this.pass = undefined;
    });
    this.pass = pass;
    return pass;
  }

  private async runPass(): Promise<void> {
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
      const again = this.again;
      this.again = false;
      this.schedule(again ? 0 : this.tickMs);
    }
  }

  /** The replica's row as it is now, if it is still the one `planned` was read as; undefined: changed since, skip. */
  private unchanged(planned: ReplicaRow): ReplicaRow | undefined {
    const fresh = this.o.store.listReplicas(planned.deploymentId).find((x) => x.id === planned.id);
    return sameRow(planned, fresh) ? fresh : undefined;
  }

  private async reconcile(d: DeploymentRow): Promise<void> {
    const { store, clock } = this.o;
    const provider = this.o.providers.get(d.zone);
    if (!provider) {
      if (!this.unserved.has(d.id))
        this.o.log(`deployment ${d.name}: no provider serves zone "${d.zone}" (zones: ${[...this.o.providers.keys()].join(', ')}); left as it is`);
      this.unserved.add(d.id);
      return;
    }
    this.unserved.delete(d.id);
    const now = clock.now();
    // first, so that a stale sleeper is neither woken nor left holding room a pending replica would stop another sleeper for
    await this.stopStaleSleepers(d, provider, now);
    const all = store.listReplicas(d.id);
    const live = all.filter((r) => r.state !== 'stopped' && r.state !== 'failed');
    const active = live.filter((r) => ACTIVE_STATES.includes(r.state));
    const desired = d.deleting ? 0 : d.replicas;

    const bo = crashBackoff(all);
    const plan = planReplicas({
      desired,
      generation: d.generation,
      active: d.deleting ? active.map((r) => ({ ...r, generation: d.generation })) : active,
      inflight: (id) => this.o.routes.inflight(id),
      mayCreate: !bo || bo.until <= now,
      floor: () => this.o.onDemandFloor?.(d.id),
    });
    const woken = plan.create > 0 ? await this.wakeSleepers(d, provider, plan.create, now) : 0;
    for (let i = woken; i < plan.create; i++) createReplica(store, d, now);
    const planned = new Map(active.map((r) => [r.id, r]));
    for (const r of plan.remove) {
      const row = planned.get(r.id);
      if (row && this.unchanged(row)) this.removeReplica(d, row, now, plan.reason);
    }
    if (plan.remove.length > 0) {
      // the gateway stops routing to them now, before a draining replica's in-flight count is read and it may be stopped
      const coming = store.listReplicas(d.id, ['pending', 'starting']).length;
      this.o.routes.sync(d, this.routed(provider, store.listReplicas(d.id, ['ready', 'draining'])), coming);
    }

    for (const r of store.listReplicas(d.id, ['pending', 'starting', 'ready', 'draining'])) {
      if (r.state === 'pending') await this.startPending(d, provider, r);
      else await this.step(d, provider, r, now);
    }

    if (now - (this.eventsPrunedAt.get(d.id) ?? 0) >= EVENTS_PRUNE_EVERY_MS) {
      this.eventsPrunedAt.set(d.id, now);
      store.pruneEvents(d.id, now);
    }
    const after = store.listReplicas(d.id);
    const routed = after.filter((r) => r.state === 'ready' || r.state === 'draining');
    if (d.deleting && after.every((r) => r.state === 'stopped' || r.state === 'failed')) {
      await provider.removeDeployment(d.name);
      store.deleteDeployment(d.id);
      this.o.routes.remove(d.id);
      this.o.onDeleted?.(d);
      this.o.log(`deployment ${d.name} deleted`);
      return;
    }
    const everReady = d.everReady || after.some((r) => r.state === 'ready');
    const st = deriveStatus({
      desired,
      replicas: after.filter((r) => r.state !== 'stopped' && !(r.state === 'failed' && (r.stoppedAt ?? 0) < now - 300_000)),
      everReady,
      generation: d.generation,
      deleting: d.deleting,
    });
    const asleep = after.filter((r) => r.state === 'sleeping').length;
    if (asleep > 0) st.details += `; ${asleep} asleep (a wake away)`;
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
    this.o.routes.sync({ ...d, status: st.status, everReady }, this.routed(provider, routed), coming, asleep);
    if (this.o.store.listReplicas(d.id, ['stopped', 'failed']).length > 60) store.pruneReplicas(d.id);
  }

  /** Takes a replica out of the desired set: a ready one drains until its deadline; one not ready yet stops at once. */
  private removeReplica(d: DeploymentRow, r: ReplicaRow, now: number, why: string): void {
    const { store } = this.o;
    if (r.state === 'ready') {
      store.updateReplica(r.id, { state: 'draining', stateReason: 'scaled away: finishing in-flight requests', drainStartedAt: now });
      store.addEvent(d.id, now, 'replica', `replica ${r.id} draining (${why})`);
      return;
    }
    // never routed: nothing in flight, and its drain deadline is already past
    store.updateReplica(r.id, { state: 'draining', stateReason: 'scaled away before ready', drainStartedAt: now - d.drainTimeoutMs - 1 });
    store.addEvent(d.id, now, 'replica', `replica ${r.id} stopped before ready (${why})`);
  }

  /** Places and starts a pending replica when its row is still the one read this pass; a start that throws fails it. */
  private async startPending(d: DeploymentRow, provider: ReplicaProvider, r: ReplicaRow): Promise<void> {
    const failed = await startReplica(
      this.o,
      d,
      provider,
      r,
      (row) => !!this.unchanged(row),
      (evict, why, forReplica, forDeployment) => this.stopSleepersForRoom(evict, why, forReplica, forDeployment),
    );
    if (failed) this.fail(d, r, failed);
  }

  /** Stops the sleepers placement chose to make room for a pending replica, each still asleep as it was read. */
  private async stopSleepersForRoom(evict: readonly SleeperBinding[], why: string, forReplica: string, forDeployment: string): Promise<void> {
    const all = this.sleepers();
    for (const s of evict) {
      const found = all.find((x) => x.r.id === s.replicaId);
      const provider = found && this.o.providers.get(found.d.zone);
      if (!found || !provider || !this.unchanged(found.r)) continue;
      await this.stopSleeper(found.d, provider, found.r, `its room was needed to place replica ${forReplica} of ${forDeployment}: ${why}`);
    }
  }

  /** Gathers a started replica's facts, asks the state machine, and runs its answer on the row it was decided on. */
  private async step(d: DeploymentRow, provider: ReplicaProvider, r: ReplicaRow, now: number): Promise<void> {
    const decided = await this.decide(d, provider, r, now);
    if (!decided || decided.action.kind === 'wait') return;
    const fresh = this.unchanged(decided.row);
    if (!fresh) return;
    await this.execute(d, provider, fresh, decided.action);
  }

  /** The state machine's action for a started replica and the row it was decided on (undefined: nothing to decide now). */
  private async decide(
    d: DeploymentRow,
    provider: ReplicaProvider,
    r: ReplicaRow,
    now: number,
  ): Promise<{ action: ReplicaAction; row: ReplicaRow } | undefined> {
    const { store } = this.o;
    if (r.state === 'draining') {
      if (this.stopping.has(r.id)) return undefined;
      if (r.drainStartedAt == null) {
        // a row drained before drain starts were stored: its deadline counts from now
        store.updateReplica(r.id, { drainStartedAt: now });
        r = { ...r, drainStartedAt: now };
      }
      const maySleep = sleepAllowed({
        idle: d.autoscale?.idle,
        deleting: d.deleting,
        current: r.generation === d.generation,
        providerSleeps: !!provider.capabilities.sleep && !!provider.sleep,
        engineSleeps: !!sleepEndpoints(d.engine),
        engine: d.engine,
      });
      return { action: decideDraining(r, { inflight: this.o.routes.inflight(r.id), drainTimeoutMs: d.drainTimeoutMs, maySleep }, now), row: r };
    }
    const h = this.handle(provider, r);
    if (r.state === 'ready') {
      if (!this.health.due(r.id, now, this.o.routes.ejected(r.id)) || !h) return undefined;
      return { action: decideReady(await this.health.check(provider, h, engineDriver(d.engine), now)), row: r };
    }
    if (!h || this.waking.has(r.id)) return undefined;
    const probe = await provider.probe(h, engineDriver(d.engine));
    // waiting for a node (Karpenter) is not a failed start: the startup timeout counts from when capacity came
    const waiting = provider.waitingForCapacity(h);
    if (waiting) this.capacityAt.delete(r.id);
    else if (provider.capabilities.waitsForCapacity && !this.capacityAt.has(r.id)) this.capacityAt.set(r.id, now);
    // changed while it was probed (an exit reported meanwhile): the next pass decides on the new row
    let row = this.unchanged(r);
    if (!row) return undefined;
    const note = probe === 'starting' ? provider.describe(h) : undefined;
    if (note && this.noteProgress(d, row, note, now)) row = { ...row, stateReason: note };
    return {
      action: decideStarting(
        row,
        { probe, waitingForCapacity: waiting, capacityAt: this.capacityAt.get(r.id), startupTimeoutMs: this.o.startupTimeoutMs ?? 600_000 },
        this.o.clock.now(),
      ),
      row,
    };
  }

  private async execute(d: DeploymentRow, provider: ReplicaProvider, r: ReplicaRow, a: Exclude<ReplicaAction, { kind: 'wait' }>): Promise<void> {
    const { store, clock } = this.o;
    const h = this.handle(provider, r);
    switch (a.kind) {
      case 'ready': {
        const t = clock.now();
        store.updateReplica(r.id, { state: 'ready', stateReason: '', readyAt: t, coldStartMs: a.coldStartMs });
        store.addEvent(d.id, t, 'replica', `replica ${r.id} ready after ${(a.coldStartMs / 1000).toFixed(1)} s cold start`);
        return;
      }
      case 'healthy':
        this.o.routes.readmit(r.id);
        return;
      case 'fail':
        if (a.stopFirst && h) await this.stopReplica(provider, h, 1000);
        this.fail(d, r, a.why);
        return;
      case 'sleep':
        if (h && (await this.sleepReplica(d, provider, h, r, a.reason))) return;
        await this.execute(d, provider, r, { kind: 'stop', reason: 'drained (could not sleep)', event: ' after draining (it could not sleep)' });
        return;
      case 'stop': {
        if (h) await this.stopReplica(provider, h, this.o.stopGraceMs ?? 10_000);
        const t = clock.now();
        store.updateReplica(r.id, { state: 'stopped', stateReason: a.reason, stoppedAt: t, gpus: [] });
        store.addEvent(d.id, t, 'replica', `replica ${r.id} stopped${a.event}`);
        this.forget(r.id);
        return;
      }
    }
  }

  /** Every sleeping replica, across deployments, with its deployment. */
  private sleepers(): { d: DeploymentRow; r: ReplicaRow }[] {
    return this.o.store.listDeployments().flatMap((d) => this.o.store.listReplicas(d.id, ['sleeping']).map((r) => ({ d, r })));
  }

  private engineKeyOf(provider: ReplicaProvider, replicaId: string): string | undefined {
    return provider.capabilities.engineKey ? this.o.engineKey?.(replicaId) : undefined;
  }

  /**
   * Puts a drained replica to sleep: its process stays, its GPUs are free for others in placement. False when
   * it could not (the caller stops it). Sleepers past the host-RAM budget stop, least recently slept first.
   */
  private async sleepReplica(d: DeploymentRow, provider: ReplicaProvider, h: ReplicaHandle, r: ReplicaRow, why: string): Promise<boolean> {
    const { store, clock } = this.o;
    let slept: SleepResult;
    try {
      slept = await provider.sleep!(h, engineDriver(d.engine), this.engineKeyOf(provider, r.id), sleepHint(this.o, d, provider, r.gpus));
    } catch (e) {
      store.addEvent(d.id, clock.now(), 'replica', `replica ${r.id} could not sleep (${(e as Error).message}); stopping it`);
      return false;
    }
    // an exit reported meanwhile changed the row: that report wins
    if (!this.unchanged(r)) return true;
    const t = clock.now();
    const ram = slept.hostRamBytes ?? 0;
    store.updateReplica(r.id, { state: 'sleeping', stateReason: `asleep: ${why}`, sleptAt: t, sleepRamBytes: ram, drainStartedAt: null });
    const where = r.gpus.length ? `GPUs ${r.gpus.join(',')} free for others` : 'its capacity free for others';
    store.addEvent(d.id, t, 'replica', `replica ${r.id} asleep after draining (${where}; ${sleptRamNote(slept)})`);
    this.forget(r.id);
    await this.evictOverBudget();
    return true;
  }

  /** Stops the least recently slept sleepers while all sleepers together hold more host RAM than the budget. */
  private async evictOverBudget(): Promise<void> {
    const budget = this.o.sleepRamBytes;
    if (budget === undefined) return;
    const all = this.sleepers();
    const victims = evictForRam(
      all.map(({ r }) => ({ id: r.id, sleptAt: r.sleptAt ?? 0, ramBytes: r.sleepRamBytes ?? 0, gpus: r.gpus })),
      budget,
    );
    for (const v of victims) {
      const { d, r } = all.find((x) => x.r.id === v.id)!;
      const provider = this.o.providers.get(d.zone);
      if (provider) await this.stopSleeper(d, provider, r, `host RAM for sleeping replicas over the budget (${formatRam(budget)}): least recently used`);
    }
  }

  /**
   * Wakes up to `want` sleepers of `d` instead of creating replicas (a wake, not a cold start); a sleeper whose
   * GPUs another replica took meanwhile cannot wake there and is stopped. Returns how many wake.
   */
  private async wakeSleepers(d: DeploymentRow, provider: ReplicaProvider, want: number, now: number): Promise<number> {
    const rows = this.o.store.listReplicas(d.id, ['sleeping']);
    if (rows.length === 0 || !provider.wake) return 0;
    const memoryMb = d.gpuMemoryMb ?? undefined;
    const { wake, blocked } = pickWakes(
      rows.map((r) => ({ ...r, sleptAt: r.sleptAt ?? 0, ramBytes: r.sleepRamBytes ?? 0, memoryMb })),
      this.o.inventory,
      gpuHolds(this.o.store),
      want,
    );
    const row = (x: { id: string }) => rows.find((r) => r.id === x.id)!;
    for (const b of blocked) await this.stopSleeper(d, provider, row(b), 'its GPUs have no room for it now: replaced by a new one');
    let woken = 0;
    for (const r of wake) if (this.startWake(d, provider, row(r), now)) woken++;
    return woken;
  }

  /** Marks a sleeper waking (starting, its GPUs held again) and asks its provider to wake it; ready when that resolves. */
  private startWake(d: DeploymentRow, provider: ReplicaProvider, r: ReplicaRow, now: number): boolean {
    const { store } = this.o;
    const h = this.handle(provider, r);
    if (!h || !this.unchanged(r)) return false;
    store.updateReplica(r.id, { state: 'starting', stateReason: 'waking from sleep', startedAt: now });
    store.addEvent(d.id, now, 'replica', `replica ${r.id} waking from sleep (asleep ${((now - (r.sleptAt ?? now)) / 1000).toFixed(0)} s; pid ${r.pid})`);
    this.waking.add(r.id);
    provider.wake!(h, engineDriver(d.engine), this.engineKeyOf(provider, r.id)).then(
      () => this.woke(d.id, r.id, now),
      (e: Error) => void this.wakeFailed(d.id, provider, r.id, e),
    );
    return true;
  }

  private woke(deploymentId: string, id: string, since: number): void {
    if (!this.waking.delete(id)) return;
    const { store, clock } = this.o;
    const row = store.listReplicas(deploymentId).find((x) => x.id === id);
    if (row?.state !== 'starting') return;
    const t = clock.now();
    store.updateReplica(id, { state: 'ready', stateReason: '', readyAt: t, wakeMs: t - since });
    store.addEvent(
      deploymentId,
      t,
      'replica',
      `replica ${id} ready after a ${((t - since) / 1000).toFixed(1)} s wake (same process, pid ${row.pid}: no cold start)`,
    );
    this.kick();
  }

  private async wakeFailed(deploymentId: string, provider: ReplicaProvider, id: string, e: Error): Promise<void> {
    if (!this.waking.delete(id)) return;
    const row = this.o.store.listReplicas(deploymentId).find((x) => x.id === id);
    const d = this.o.store.getDeployment(deploymentId);
    if (row?.state !== 'starting' || !d) return;
    const h = this.handle(provider, row);
    if (h) await this.stopReplica(provider, h, 1000);
    this.fail(d, row, `wake failed: ${e.message}`);
  }

  /** Stops the sleepers of `d` that may not sleep any more (deleted, rolled to a new generation, idle by stop). */
  private async stopStaleSleepers(d: DeploymentRow, provider: ReplicaProvider, _now: number): Promise<void> {
    for (const r of this.o.store.listReplicas(d.id, ['sleeping'])) {
      const why = sleeperMustStop({ idle: d.autoscale?.idle, deleting: d.deleting, current: r.generation === d.generation });
      if (why) await this.stopSleeper(d, provider, r, why);
    }
  }

  private async stopSleeper(d: DeploymentRow, provider: ReplicaProvider, r: ReplicaRow, why: string): Promise<void> {
    const h = this.handle(provider, r);
    if (h) await this.stopReplica(provider, h, this.o.stopGraceMs ?? 10_000);
    const t = this.o.clock.now();
    this.o.store.updateReplica(r.id, { state: 'stopped', stateReason: `stopped while asleep: ${why}`, stoppedAt: t, gpus: [] });
    this.o.store.addEvent(d.id, t, 'replica', `replica ${r.id} stopped while asleep (${why})`);
    this.forget(r.id);
  }

  /** Stops a replica's process; an exit its provider reports meanwhile is this stop's, not a crash. */
  private async stopReplica(provider: ReplicaProvider, h: ReplicaHandle, graceMs: number): Promise<void> {
    this.stopping.add(h.replicaId);
    try {
      await provider.stop(h, graceMs);
    } finally {
      this.stopping.delete(h.replicaId);
    }
  }

  /** Fails a replica and holds its deployment's replacements back (the crash backoff, stored in the failed row). */
  private fail(d: DeploymentRow, r: Replica, why: string): void {
    const now = this.o.clock.now();
    const failures = (crashBackoff(this.o.store.listReplicas(d.id))?.failures ?? 0) + 1;
    this.o.store.updateReplica(r.id, {
      state: 'failed',
      stateReason: why,
      stoppedAt: now,
      gpus: [],
      exitInfo: why,
      failureStreak: failures,
      retryAt: now + backoffMs(failures),
    });
    this.o.store.addEvent(d.id, now, 'replica', `replica ${r.id} failed: ${why}; replacing it`);
    this.forget(r.id);
    this.kick();
  }

  /** Shows why a starting replica is not ready (e.g. waiting for a GPU node, with its age); an event when the kind of wait changes. */
  private noteProgress(d: DeploymentRow, r: Replica, text: string | undefined, now: number): boolean {
    if (!text) return false;
    const prev = this.progress.get(r.id);
    const kind = (t: string) => t.replace(/\d+[hms]\d*[ms]?/g, '').replace(/\d+/g, '#');
    if (prev && kind(prev.text) === kind(text) && now - prev.at < 5000) return false;
    this.progress.set(r.id, { text, at: now });
    this.o.store.updateReplica(r.id, { stateReason: text });
    if (!prev || kind(prev.text) !== kind(text)) this.o.store.addEvent(d.id, now, 'replica', `replica ${r.id}: ${text}`);
    return true;
  }

  private forget(id: string): void {
    this.capacityAt.delete(id);
    this.progress.delete(id);
    this.health.forget(id);
  }

  private onExit(info: ExitInfo): void {
    if (this.stopped) return;
    if (this.stopping.has(info.replicaId)) return;
    const asleep = this.sleepers().find((x) => x.r.id === info.replicaId);
    if (asleep) {
      const t = this.o.clock.now();
      this.o.store.updateReplica(asleep.r.id, { state: 'stopped', stateReason: 'process exited while asleep', stoppedAt: t, gpus: [] });
      this.o.store.addEvent(asleep.d.id, t, 'replica', `replica ${asleep.r.id} exited while asleep; the next replica starts cold`);
      return;
    }
    const r = this.o.store.listLiveReplicas().find((x) => x.id === info.replicaId);
    if (!r || this.stopping.has(r.id)) return;
    const d = this.o.store.getDeployment(r.deploymentId);
    if (!d) return;
    if (r.state === 'starting' || r.state === 'ready' || r.state === 'draining') {
      this.waking.delete(r.id);
      this.fail(d, r, `process exited (${info.signal ? `signal ${info.signal}` : `code ${info.code}`})`);
    }
  }

  /** The replicas with the address their provider gives them (a process's port, a pod's current IP). */
  private routed(provider: ReplicaProvider, replicas: Replica[]): RoutedReplica[] {
    return replicas.map((r) => {
      const url = provider.replicaUrl({ replicaId: r.id, port: r.port });
      return url ? { ...r, url, engineKey: provider.capabilities.engineKey } : r;
    });
  }

  private handle(provider: ReplicaProvider, r: Replica): ReplicaHandle | undefined {
    if (r.port === null) return undefined;
    return { replicaId: r.id, pid: r.pid, pidStart: r.pidStart, port: r.port, url: provider.replicaUrl({ replicaId: r.id, port: r.port }) ?? '' };
  }
}
