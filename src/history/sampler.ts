/**
 * The server's 1 s sampling loop, driven by the injected Clock: for each deployment it reads the live
 * gateway state (through `loadSample`/`takeWindow`, consumer "history") and the replica rows of the store,
 * records a HistorySample in the HistoryStore and hands the LoadSample to subscribers (`onSample`), so
 * the autoscaler can be fed from here instead of reading the gateway itself. Interval lengths are
 * measured (now - previous tick), so a late tick stays correct.
 */
import type { Clock, Timer } from '../core/clock.js';
import type { LoadSample } from '../autoscaler/types.js';
import type { Store } from '../store/store.js';
import type { RouteTable } from '../gateway/route-table.js';
import type { Replica } from '../domain/types.js';
import { isStorageFull, type StorageStatus } from '../store/storage-status.js';
import { loadSample, type RemoteWindow } from './window.js';
import type { HistoryStore } from './store.js';
import type { HistorySample } from './bucket.js';

export interface HistorySamplerOptions {
  clock: Clock;
  history: HistoryStore;
  store: Pick<Store, 'listDeployments' | 'listReplicas'>;
  routes: Pick<RouteTable, 'getById'>;
  /** cumulative completion tokens by deployment name (the gateway's counter); optional */
  tokens?: () => Promise<Map<string, number>>;
  intervalMs?: number;
  log?: (line: string) => void;
  /** load that other gateways (follower replicas) reported for a deployment since the previous tick */
  remote?: (deploymentId: string) => RemoteWindow;
  /** where a full disk is reported once instead of logged every pass (src/store/storage-status.ts) */
  storage?: StorageStatus;
}

export type SampleListener = (deploymentId: string, sample: LoadSample, full: HistorySample) => void;

const PRUNE_EVERY_MS = 60_000;

/** Replica counts and GPUs held, from replica rows: pending and starting count as "starting"; draining ones still hold GPUs. */
export function replicaCounts(replicas: readonly Replica[]): { ready: number; starting: number; gpus: number } {
  let ready = 0;
  let starting = 0;
  let gpus = 0;
  for (const r of replicas) {
    if (r.state === 'ready') ready++;
    else if (r.state === 'pending' || r.state === 'starting') starting++;
    if (r.state !== 'stopped' && r.state !== 'failed') gpus += r.gpus.length;
  }
  return { ready, starting, gpus };
}

export class HistorySampler {
  private timer?: Timer;
  private lastTick?: number;
  private lastPrune = -Infinity;
  private current?: Promise<void>;
  private stopped = false;
  private readonly listeners: SampleListener[] = [];
  private readonly lastTokens = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly tickHooks: ((now: number) => void)[] = [];

  constructor(private readonly o: HistorySamplerOptions) {
    this.intervalMs = o.intervalMs ?? 1000;
  }

  /** Subscribes to every deployment's LoadSample, once per tick. */
  onSample(fn: SampleListener): void {
    this.listeners.push(fn);
  }

  /** Runs `fn(now)` after every tick (e.g. the cost ledger's sync). */
  onTick(fn: (now: number) => void): void {
    this.tickHooks.push(fn);
  }

  start(): void {
    this.stopped = false;
    this.lastTick = this.o.clock.now();
    this.schedule();
  }

  /** Stops the loop, waits for a pass in progress, and writes the open buckets. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.current;
    if (this.o.storage) this.o.storage.guard('history and cost', () => this.o.history.flush());
    else this.o.history.flush();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.tick().finally(() => this.schedule()), this.intervalMs);
  }

  /** One sampling pass over every deployment. Exposed for tests. */
  tick(): Promise<void> {
    if (!this.current) this.current = this.pass().finally(() => (this.current = undefined));
    return this.current;
  }

  private async pass(): Promise<void> {
    try {
      const tokens = this.o.tokens ? await this.o.tokens().catch(() => new Map<string, number>()) : undefined;
      const now = this.o.clock.now();
      const intervalMs = Math.max(1, now - (this.lastTick ?? now - this.intervalMs));
      this.lastTick = now;
      for (const d of this.o.store.listDeployments()) {
        const remote = this.o.remote?.(d.id);
        const { ttftMs, ...base } = loadSample(this.o.routes.getById(d.id), now, 'history', remote);
        const sample: HistorySample = {
          ...base,
          intervalMs,
          ttftMs,
          tokens: (tokens ? this.tokenDelta(d.name, tokens.get(d.name) ?? 0) : 0) + (remote?.tokens ?? 0),
          desired: d.deleting ? 0 : d.replicas,
          ...replicaCounts(this.o.store.listReplicas(d.id)),
        };
        this.o.history.record(d.id, sample);
        for (const fn of this.listeners) fn(d.id, base, sample);
      }
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        this.o.history.prune(now);
      }
      for (const fn of this.tickHooks) fn(now);
    } catch (e) {
      // a full disk is said once (storage-status.ts); the next pass tries again
      if (this.o.storage && isStorageFull(e)) this.o.storage.failed('history and cost', e as Error);
      else this.o.log?.(`history sampler: ${(e as Error).stack ?? e}`);
    }
  }

  private tokenDelta(name: string, cumulative: number): number {
    const prev = this.lastTokens.get(name) ?? 0;
    this.lastTokens.set(name, cumulative);
    return cumulative >= prev ? cumulative - prev : cumulative;
  }
}

/** Reads the gateway's completion-token counter as cumulative values by deployment name. */
export function tokenCounter(counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }) {
  return async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const v of (await counter.get()).values) out.set(String(v.labels.deployment), v.value);
    return out;
  };
}
