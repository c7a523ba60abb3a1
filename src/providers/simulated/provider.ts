/**
 * Replicas that exist only in memory, on an injected clock (Karpenter's kwok): `start` makes a replica
 * that is 'starting' until its cold start has passed on the clock, then 'ready'; `stop` ends it; `crash`
 * ends one behind the provider's back (an injected fault), reported through `onExit`. The replicas live in
 * a `SimulatedReplicas` world that outlives a provider, so a new provider over the same world (a restarted
 * server) adopts them. Nothing runs: a replica's engine is wherever `engineUrl` points (one shared engine,
 * e.g. a sim engine started apart), or nowhere in a simulation that sends no request.
 */
import type { Clock } from '../../core/clock.js';
import type { EngineDriver, EngineLaunch } from '../../engines/types.js';
import { InferscaleError, invalid } from '../../core/errors.js';
import {
  ELASTIC,
  LOCAL_COLD_START_MS,
  type ExitInfo,
  type ProbeResult,
  type ProviderCapabilities,
  type ReplicaAddress,
  type ReplicaHandle,
  type ReplicaProvider,
  type ReplicaTarget,
} from '../types.js';

interface SimulatedReplica {
  deployment: string;
  startedAt: number;
  readyAt: number;
  log: string[];
}

/** The replicas of simulated zones, kept apart from any one provider (what a cluster keeps across a server restart). */
export class SimulatedReplicas {
  readonly replicas = new Map<string, SimulatedReplica>();
  private readonly crashListeners = new Set<(replicaId: string, signal: string) => void>();

  /** Ends a replica behind its providers' backs (an injected crash); each provider watching it reports it through onExit. */
  crash(replicaId: string, signal = 'SIGKILL'): void {
    if (!this.replicas.delete(replicaId)) return;
    for (const l of this.crashListeners) l(replicaId, signal);
  }

  onCrash(listener: (replicaId: string, signal: string) => void): void {
    this.crashListeners.add(listener);
  }
}

export interface SimulatedProviderOptions {
  clock: Clock;
  /** where every replica's engine answers (its base URL); absent: replicas have no address */
  engineUrl?: string;
  /** from start to ready, on the clock (default: the engine cold start); a function: per replica */
  coldStartMs?: number | ((replicaId: string, deploymentName: string) => number);
  /** GPU types the zone offers and the most GPUs of each (absent max: elastic) */
  gpuTypes?: Record<string, { maxGpus?: number }>;
  /** shared with other providers over the same replicas (default: a world of its own) */
  world?: SimulatedReplicas;
}

/** the port a handle records when the engine's URL names none */
const portOf = (url: string | undefined): number => {
  if (!url) return 1;
  const u = new URL(url);
  return Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
};

export class SimulatedProvider implements ReplicaProvider {
  readonly capabilities: ProviderCapabilities;
  readonly world: SimulatedReplicas;
  private readonly listeners: ((i: ExitInfo) => void)[] = [];
  /** replicas this provider started or adopted and still watches */
  private readonly watched = new Set<string>();

  constructor(private readonly o: SimulatedProviderOptions) {
    this.world = o.world ?? new SimulatedReplicas();
    this.world.onCrash((replicaId, signal) => {
      if (!this.watched.delete(replicaId)) return;
      for (const l of this.listeners) l({ replicaId, code: null, signal });
    });
    const cold = typeof o.coldStartMs === 'number' ? o.coldStartMs : LOCAL_COLD_START_MS;
    // the platform places replicas (its capacity is per GPU type, not per device); the model is nowhere to load
    this.capabilities = { placement: 'platform', model: 'stored-file', engineKey: false, waitsForCapacity: false, defaultColdStartMs: cold };
  }

  async start(
    replicaId: string,
    deploymentName: string,
    _driver?: EngineDriver,
    _launch?: Omit<EngineLaunch, 'port' | 'host'>,
    _target?: ReplicaTarget,
  ): Promise<ReplicaHandle> {
    if (this.world.replicas.has(replicaId)) throw new InferscaleError('already_exists', `simulated replica ${replicaId} already exists`);
    const now = this.o.clock.now();
    const c = this.o.coldStartMs;
    const coldStartMs = typeof c === 'function' ? c(replicaId, deploymentName) : (c ?? LOCAL_COLD_START_MS);
    this.world.replicas.set(replicaId, {
      deployment: deploymentName,
      startedAt: now,
      readyAt: now + coldStartMs,
      log: [`${new Date(now).toISOString()} starting (cold start ${coldStartMs} ms)`],
    });
    this.watched.add(replicaId);
    return { replicaId, pid: null, port: portOf(this.o.engineUrl), url: this.o.engineUrl ?? '' };
  }

  async probe(h: ReplicaHandle, _driver?: EngineDriver): Promise<ProbeResult> {
    const r = this.world.replicas.get(h.replicaId);
    if (!r) return 'gone';
    return this.o.clock.now() >= r.readyAt ? 'ready' : 'starting';
  }

  async stop(h: ReplicaHandle): Promise<void> {
    this.watched.delete(h.replicaId);
    this.world.replicas.delete(h.replicaId);
  }

  adopt(h: ReplicaHandle): boolean {
    if (!this.world.replicas.has(h.replicaId)) return false;
    this.watched.add(h.replicaId);
    return true;
  }

  onExit(listener: (info: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  /** Ends a replica behind the provider's back (an injected crash): see SimulatedReplicas.crash. */
  crash(replicaId: string, signal = 'SIGKILL'): void {
    this.world.crash(replicaId, signal);
  }

  async logs(_deployment: string, replicaId: string, lines: number): Promise<string[]> {
    const r = this.world.replicas.get(replicaId);
    if (!r) return [];
    const now = this.o.clock.now();
    const out = [...r.log];
    if (now >= r.readyAt) out.push(`${new Date(r.readyAt).toISOString()} ready`);
    return out.slice(-lines);
  }

  replicaUrl(r: ReplicaAddress): string | undefined {
    return this.world.replicas.has(r.replicaId) ? this.o.engineUrl : undefined;
  }

  capacity(gpuType: string): number {
    const m = this.o.gpuTypes?.[gpuType];
    return m ? (m.maxGpus ?? ELASTIC) : 0;
  }

  gpuTypeFor(requested: string | undefined, _engine?: string): string {
    const types = Object.keys(this.o.gpuTypes ?? {});
    const t = requested ?? (types.length === 1 ? types[0] : undefined);
    if (!t) throw invalid('gpuType', `is required in this simulated zone, which has ${types.join(', ') || 'no GPU type'}`);
    if (!this.o.gpuTypes?.[t])
      throw new InferscaleError('insufficient_capacity', `gpuType: this simulated zone has no ${t} GPUs (has: ${types.join(', ') || 'none'})`, {
        field: 'gpuType',
      });
    return t;
  }

  describe(h: ReplicaHandle): string | undefined {
    const r = this.world.replicas.get(h.replicaId);
    if (!r) return undefined;
    const left = r.readyAt - this.o.clock.now();
    return left > 0 ? `simulated cold start: ready in ${Math.ceil(left / 1000)} s` : undefined;
  }

  waitingForCapacity(): boolean {
    return false;
  }

  async removeDeployment(deploymentName: string): Promise<void> {
    for (const [id, r] of this.world.replicas) {
      if (r.deployment !== deploymentName) continue;
      this.world.replicas.delete(id);
      this.watched.delete(id);
    }
  }
}
