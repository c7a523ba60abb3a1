/**
 * Test helpers for policies: hand-made samples and inputs, and a tiny deterministic replica model that
 * drives any ScalingPolicy through a scenario (one sample per second, a decision every policy tick,
 * replicas ready a cold start after they are wanted). Used by the tests only; no clock, no randomness.
 */
import type { DemandPoint, LoadSample, PolicyInput, ReplicaCounts, ScalingPolicy } from './types.js';

export const SEC = 1000;
export const MIN = 60_000;

export function sample(at: number, ongoing: number, queued = 0, arrivals = 0, ttftP95Ms?: number): LoadSample {
  const s: LoadSample = { at, ongoing, queued, arrivals };
  if (ttftP95Ms !== undefined) s.ttftP95Ms = ttftP95Ms;
  return s;
}

/** One sample per `stepMs` over (from, to], each from `f(t)`. */
export function samples(from: number, to: number, f: (t: number) => Partial<LoadSample>, stepMs = SEC): LoadSample[] {
  const out: LoadSample[] = [];
  for (let t = from + stepMs; t <= to; t += stepMs) out.push({ at: t, ongoing: 0, queued: 0, arrivals: 0, ...f(t) });
  return out;
}

export type InputParts = Omit<Partial<PolicyInput>, 'replicas'> & { now: number; replicas?: Partial<ReplicaCounts> };

export function input(p: InputParts): PolicyInput {
  const replicas: ReplicaCounts = { ready: 0, starting: 0, draining: 0, desired: 0, ...p.replicas };
  return { samples: [], coldStartMs: 3 * MIN, heldAtZero: 0, history: [], ...p, replicas };
}

export interface Demand {
  /** requests wanting service now (served or waiting) */
  load: number;
  arrivals?: number;
  ttftP95Ms?: number;
  /** requests held at the gateway when nothing is ready (defaults to the load when no replica is ready) */
  held?: number;
}

export interface ScenarioOptions {
  policy: ScalingPolicy<any>;
  start?: number;
  durationMs: number;
  coldStartMs?: number;
  /** requests one replica serves at once; the rest queue */
  perReplica?: number;
  initial?: { ready?: number; desired?: number };
  demand: (t: number, r: ReplicaCounts) => Demand;
  placeable?: (t: number) => number | undefined;
  history?: readonly DemandPoint[];
  /** scenario-specific override of replica readiness: true keeps a replica starting forever */
  neverReady?: boolean;
}

export interface Step {
  at: number;
  desired: number;
  ready: number;
  starting: number;
  reason: string;
}

/** Runs a policy through a scenario; returns one Step per decision. */
export function runScenario(o: ScenarioOptions): Step[] {
  const start = o.start ?? 0;
  const cold = o.coldStartMs ?? 3 * MIN;
  const per = o.perReplica ?? 4;
  const ready0 = o.initial?.ready ?? 0;
  let readyAt: number[] = Array.from({ length: ready0 }, () => start - 1);
  let desired = o.initial?.desired ?? ready0;
  while (readyAt.length < desired) readyAt.push(start + cold);
  let state = o.policy.init(start);
  const all: LoadSample[] = [];
  const steps: Step[] = [];
  let nextTick = start + o.policy.tickMs;
  const counts = (t: number): ReplicaCounts => {
    const ready = o.neverReady ? readyAt.filter((x) => x < start).length : readyAt.filter((x) => x <= t).length;
    return { ready, starting: readyAt.length - ready, draining: 0, desired };
  };
  for (let t = start; t <= start + o.durationMs; t += Math.min(SEC, o.policy.tickMs)) {
    if (t % SEC === 0 && t > start) {
      const r = counts(t);
      const d = o.demand(t, r);
      const ongoing = Math.min(d.load, r.ready * per);
      const s = sample(t, ongoing, d.load - ongoing, d.arrivals ?? 0, r.ready ? d.ttftP95Ms : undefined);
      all.push(s);
      while (all.length && all[0].at < t - 3_600_000) all.shift();
    }
    if (t < nextTick) continue;
    nextTick += o.policy.tickMs;
    const r = counts(t);
    const d = o.demand(t, r);
    const held = d.held ?? (r.ready === 0 ? d.load : 0);
    const res = o.policy.decide(
      { now: t, samples: all, replicas: r, coldStartMs: cold, heldAtZero: held, history: o.history ?? [], placeableReplicas: o.placeable?.(t) },
      state,
    );
    state = res.state;
    if (res.desired > readyAt.length) {
      for (let k = readyAt.length; k < res.desired; k++) readyAt.push(t + cold);
    } else if (res.desired < readyAt.length) {
      readyAt = [...readyAt].sort((a, b) => a - b).slice(0, res.desired); // starting ones go first
    }
    desired = res.desired;
    steps.push({ at: t, desired: res.desired, ready: r.ready, starting: r.starting, reason: res.reason });
  }
  return steps;
}

/** The desired counts at each decision, run-length encoded: [[0, 1], [65000, 2]] = 1 from t=0, 2 from 65 s. */
export function changes(steps: readonly Step[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const s of steps) if (!out.length || out[out.length - 1][1] !== s.desired) out.push([s.at, s.desired]);
  return out;
}

export function desiredAt(steps: readonly Step[], at: number): number {
  let d = NaN;
  for (const s of steps) if (s.at <= at) d = s.desired;
  return d;
}

export interface DriveOptions {
  start?: number;
  durationMs: number;
  /** the sample taken at second t */
  load: (t: number) => Partial<LoadSample>;
  /** replica counts at t, given the last desired count (fixed counts make exact assertions easy) */
  replicas: (t: number, desired: number) => Partial<ReplicaCounts>;
  held?: (t: number) => number;
  initialDesired?: number;
}

/** Drives a policy with scripted replica counts (no replica model): for exact baseline behaviour. */
export function drive(policy: ScalingPolicy<any>, o: DriveOptions): Step[] {
  const start = o.start ?? 0;
  let state = policy.init(start);
  let desired = o.initialDesired ?? 0;
  const all: LoadSample[] = [];
  const steps: Step[] = [];
  const step = Math.min(SEC, policy.tickMs);
  for (let t = start + step; t <= start + o.durationMs; t += step) {
    if (t % SEC === 0) all.push({ at: t, ongoing: 0, queued: 0, arrivals: 0, ...o.load(t) });
    if ((t - start) % policy.tickMs !== 0) continue;
    const replicas: ReplicaCounts = { ready: 0, starting: 0, draining: 0, desired, ...o.replicas(t, desired) };
    const res = policy.decide({ now: t, samples: all, replicas, coldStartMs: 3 * MIN, heldAtZero: o.held?.(t) ?? 0, history: [] }, state);
    state = res.state;
    desired = res.desired;
    steps.push({ at: t, desired, ready: replicas.ready, starting: replicas.starting, reason: res.reason });
  }
  return steps;
}
