import type { Clock } from '../core/clock.js';
import { livePolicy } from '../autoscaler/policies.js';
import { SignalWindow } from '../autoscaler/window.js';
import type { AutoscaleSpec, DemandPoint, LoadSample, ScalingPolicy } from '../autoscaler/types.js';
import type { DeploymentRow, Store } from '../store/store.js';
import type { RouteTable } from '../gateway/route-table.js';
import type { DeploymentService } from '../service/deployments.js';
import { buildPolicyInput, deploymentSleeps, sleepTier } from './policy-input.js';

/** Where the loop gets its 1 s samples (the metrics history's sampler, the one reader of the gateway). */
export interface SampleSource {
  onSample(fn: (deploymentId: string, sample: LoadSample) => void): void;
}

/** Long-term demand per deployment, for forecasting (the metrics history keeps it in SQLite). */
export interface DemandSource {
  history(deploymentId: string, now: number): readonly DemandPoint[];
}

const DEMAND_REFRESH_MS = 60_000;
const DEMAND_SPAN_MS = 35 * 86_400_000;

/** Reads demand history at most once a minute per deployment (it only changes every 5 minutes). */
export function cachedDemand(read: (deploymentId: string, sinceMs: number) => DemandPoint[]): DemandSource {
  const cache = new Map<string, { at: number; points: DemandPoint[] }>();
  return {
    history(id, now) {
      const c = cache.get(id);
      if (c && now - c.at < DEMAND_REFRESH_MS) return c.points;
      const points = read(id, now - DEMAND_SPAN_MS);
      cache.set(id, { at: now, points });
      return points;
    },
  };
}

export interface AutoscalerStatus {
  signals: LoadSample | null;
  lastDecision: { at: string; desired: number; reason: string } | null;
  coldStartMs: number;
  /** the policy's latest summary of what it learned (PolicyResult.model), when it gives one */
  model?: Record<string, unknown>;
}

/** Makes a deployment's policy from its spec (default: the one the spec names, src/autoscaler/policies.ts). */
export type PolicyFactory = (spec: AutoscaleSpec) => ScalingPolicy<unknown>;

interface Entry {
  specJson: string;
  policy: ScalingPolicy<unknown>;
  state: unknown;
  model?: Record<string, unknown>;
  window: SignalWindow;
  last: LoadSample | null;
  lastDecision: AutoscalerStatus['lastDecision'];
  lastReason: string;
  /** when the policy was last asked on a sample (its tick) */
  tickedAt: number;
}

/**
 * A policy is asked once per its `tickMs` (ours every sample, KPA every 2 s, HPA every 15 s), as the
 * simulator asks it; samples arrive about every second, so a tick is due half a sample early.
 */
const TICK_SLACK_MS = 500;

/**
 * Feeds each autoscaled deployment's policy with the sampler's signals every second (and at once when
 * a request arrives at zero), and applies a changed decision through the deployment service, which
 * records it as an `autoscale` event with its reason. The policy itself is pure (src/autoscaler).
 */
export class AutoscalerLoop {
  private readonly entries = new Map<string, Entry>();
  /** deployment id -> the spec (JSON) whose policy could not be made */
  private readonly unrunnable = new Map<string, string>();

  constructor(
    private readonly o: {
      store: Pick<Store, 'getDeployment' | 'listReplicas'>;
      routes: Pick<RouteTable, 'getById'>;
      deployments: Pick<DeploymentService, 'placeableReplicas' | 'noteAutoscale' | 'applyAutoscale'>;
      clock: Clock;
      samples: SampleSource;
      demand: DemandSource;
      log: (line: string) => void;
      /** what other gateways (HA followers) hold now for a deployment */
      remote?: (deploymentId: string) => { ongoing: number; queued: number };
      policy?: PolicyFactory;
      /** the cold-start estimate of a deployment (measured, or its zone's default), ms */
      coldStartMs: (deploymentId: string) => number;
    },
  ) {
    o.samples.onSample((id, s) => this.decide(id, s, true));
  }

  status(deploymentId: string): AutoscalerStatus {
    const e = this.entries.get(deploymentId);
    const s: AutoscalerStatus = { signals: e?.last ?? null, lastDecision: e?.lastDecision ?? null, coldStartMs: this.o.coldStartMs(deploymentId) };
    if (e?.model) s.model = e.model;
    return s;
  }

  /** A request arrived while nothing is ready: decide now, not at the next tick (the server wires the route table's wake here). */
  wake(deploymentId: string): void {
    const route = this.o.routes.getById(deploymentId);
    if (!route) return;
    const r = this.o.remote?.(deploymentId) ?? { ongoing: 0, queued: 0 };
    const s: LoadSample = { at: this.o.clock.now(), ongoing: route.admission.ongoing + r.ongoing, queued: route.admission.queued + r.queued, arrivals: 0 };
    this.decide(deploymentId, s, false);
  }

  private decide(id: string, s: LoadSample, fromSampler: boolean): void {
    const d = this.o.store.getDeployment(id);
    if (!d?.autoscale || d.deleting) {
      this.entries.delete(id);
      return;
    }
    const e = this.entry(d, d.autoscale, s.at);
    if (!e) return;
    if (fromSampler) {
      e.window.add(s);
      e.window.prune(s.at);
      e.last = s;
      // a wake in between does not move the ticks (nor does it in the simulator)
      if (s.at - e.tickedAt < e.policy.tickMs - TICK_SLACK_MS) return;
      e.tickedAt = s.at;
    }
    const replicas = this.o.store.listReplicas(id);
    const count = (st: string) => replicas.filter((r) => r.state === st).length;
    const ready = count('ready');
    const input = buildPolicyInput({
      now: s.at,
      samples: fromSampler ? e.window.samples() : [...e.window.samples(), s],
      ready,
      starting: count('pending') + count('starting'),
      draining: count('draining'),
      desired: d.replicas,
      coldStartMs: this.o.coldStartMs(id),
      queued: ready === 0 ? (this.o.routes.getById(id)?.admission.queued ?? 0) + (this.o.remote?.(id).queued ?? 0) : 0,
      history: d.autoscale.forecast ? this.o.demand.history(id, s.at) : [],
      placeableReplicas: this.o.deployments.placeableReplicas(d),
      ...sleepTier(replicas, deploymentSleeps(d), this.o.coldStartMs(id)),
    });
    const r = e.policy.decide(input, e.state);
    e.state = r.state;
    if (r.model) e.model = r.model;
    if (r.notice) this.o.deployments.noteAutoscale(d.name, r.notice);
    if (r.desired !== d.replicas) {
      // applied within the spec, quota and GPU bounds (a cap is said in the reason), never refused
      try {
        const applied = this.o.deployments.applyAutoscale(d.name, r.desired, r.reason);
        e.lastDecision = { at: new Date(s.at).toISOString(), desired: applied.replicas, reason: applied.reason };
      } catch (err) {
        // only what is not a decision's fault: the deployment went away, the store failed
        const msg = `autoscaler could not scale ${d.name} to ${r.desired}: ${(err as Error).message}`;
        if (e.lastReason !== msg) this.o.log(msg);
        e.lastReason = msg;
      }
    } else if (!e.lastDecision) {
      e.lastDecision = { at: new Date(s.at).toISOString(), desired: r.desired, reason: r.reason };
    } else if (fromSampler) {
      e.lastDecision = { ...e.lastDecision, reason: r.reason, at: new Date(s.at).toISOString() };
    }
  }

  /** The deployment's entry, its policy made anew when the spec changed; none when the spec names no live policy. */
  private entry(d: DeploymentRow, spec: AutoscaleSpec, now: number): Entry | undefined {
    const json = JSON.stringify(spec);
    let e = this.entries.get(d.id);
    if (!e || e.specJson !== json) {
      let policy: ScalingPolicy<unknown>;
      try {
        policy = (this.o.policy ?? livePolicy)(spec);
      } catch (err) {
        // a spec this version cannot run (written by a newer one): said once, the replicas stay as they are
        if (this.unrunnable.get(d.id) !== json) this.o.log(`autoscaler cannot run ${d.name}: ${(err as Error).message}`);
        this.unrunnable.set(d.id, json);
        this.entries.delete(d.id);
        return undefined;
      }
      this.unrunnable.delete(d.id);
      e = {
        specJson: json,
        policy,
        state: policy.init(now),
        window: e?.window ?? new SignalWindow(),
        last: e?.last ?? null,
        lastDecision: null,
        lastReason: '',
        tickedAt: -Infinity,
      };
      this.entries.set(d.id, e);
    }
    return e;
  }
}
