/**
 * The replica state machine: what to do with one replica given its row, what its probe said and the time.
 * Pure: it returns an action as data, which the reconciler checks against the replica's fresh row and runs
 * (Knative's decider apart from its reconciler). Pending replicas are placed by src/placement; deleting a
 * deployment and scaling are planned by plan.ts.
 */
import type { ProbeResult } from '../providers/types.js';
import type { ReplicaRow } from '../store/store.js';

/** consecutive failed health checks that fail a ready replica */
export const HEALTH_FAILURES = 3;

/** What the reconciler does with a replica this pass. */
export type ReplicaAction =
  | { kind: 'wait' }
  /** a starting replica's first healthy probe: ready, its cold start measured */
  | { kind: 'ready'; coldStartMs: number }
  /** a ready replica passed its health check: back in rotation if it was taken out */
  | { kind: 'healthy' }
  /** failed and replaced (after the crash backoff); `stopFirst`: its process may still run */
  | { kind: 'fail'; why: string; stopFirst: boolean }
  /** a draining replica is done (nothing in flight, or its drain deadline passed): stop it */
  | { kind: 'stop'; reason: string; event: string }
  /** a draining replica is done with nothing in flight and its deployment idles by sleep: put it to sleep (it stops where it cannot) */
  | { kind: 'sleep'; reason: string };

export interface StartingFacts {
  probe: ProbeResult;
  /** the provider says the replica waits for capacity (a node being provisioned) */
  waitingForCapacity: boolean;
  /** when it got capacity, where the provider waits for capacity (the startup timeout counts from then) */
  capacityAt?: number;
  startupTimeoutMs: number;
}

export interface ReadyFacts {
  /** undefined: not probed this pass (the prober's interval) */
  probe?: ProbeResult;
  /** consecutive failed health checks, this one included */
  failures: number;
}

export interface DrainingFacts {
  inflight: number;
  drainTimeoutMs: number;
  /** why it may sleep instead of stopping (its deployment idles by sleep, its provider and engine can); undefined: it stops */
  maySleep?: string;
}

/** A starting replica: ready when healthy, failed when gone or not healthy within the startup timeout. */
export function decideStarting(r: ReplicaRow, f: StartingFacts, now: number): ReplicaAction {
  if (f.probe === 'ready') return { kind: 'ready', coldStartMs: now - (r.startedAt ?? now) };
  if (f.probe === 'gone') return { kind: 'fail', why: 'process exited while starting', stopFirst: false };
  const since = f.capacityAt ?? r.startedAt ?? now;
  if (!f.waitingForCapacity && now - since > f.startupTimeoutMs) {
    return { kind: 'fail', why: `not healthy after ${Math.round(f.startupTimeoutMs / 1000)} s`, stopFirst: true };
  }
  return { kind: 'wait' };
}

/** A ready replica: failed when gone or after HEALTH_FAILURES failed checks in a row. */
export function decideReady(f: ReadyFacts): ReplicaAction {
  if (f.probe === undefined) return { kind: 'wait' };
  if (f.probe === 'ready') return { kind: 'healthy' };
  if (f.probe === 'gone') return { kind: 'fail', why: 'process exited', stopFirst: true };
  if (f.failures >= HEALTH_FAILURES) return { kind: 'fail', why: `health check failed ${f.failures} times`, stopFirst: true };
  return { kind: 'wait' };
}

/**
 * A draining replica: stopped once nothing is in flight, or when its drain deadline (drainStartedAt + the
 * deployment's drain timeout, from its row) passed; put to sleep instead where `maySleep` says why it may
 * and it drained (it served before). A row without a drain start counts from `now`.
 */
export function decideDraining(r: ReplicaRow, f: DrainingFacts, now: number): ReplicaAction {
  const since = r.drainStartedAt ?? now;
  if (f.inflight > 0 && now - since < f.drainTimeoutMs) return { kind: 'wait' };
  // a replica that never turned ready has no weights worth keeping; one cut at its drain deadline is stopped
  if (f.inflight === 0 && f.maySleep && r.readyAt != null) return { kind: 'sleep', reason: f.maySleep };
  return f.inflight > 0
    ? { kind: 'stop', reason: `drain timeout with ${f.inflight} in flight`, event: ` after drain timeout (${f.inflight} in flight)` }
    : { kind: 'stop', reason: 'drained', event: ' after draining' };
}

/** The crash backoff of a deployment, read from its replica rows: the newest failure not followed by a ready replica. */
export function crashBackoff(rows: readonly ReplicaRow[]): { failures: number; until: number } | undefined {
  let last: ReplicaRow | undefined;
  for (const r of rows) {
    if (r.state === 'failed' && r.retryAt != null && r.stoppedAt != null && (!last || r.stoppedAt >= last.stoppedAt!)) last = r;
  }
  if (!last) return undefined;
  // a replica that turned ready after that failure ended the streak
  if (rows.some((r) => r.readyAt != null && r.readyAt > last!.stoppedAt!)) return undefined;
  return { failures: last.failureStreak ?? 1, until: last.retryAt! };
}

/** How long a deployment waits before replacing its `failures`-th failed replica in a row: 0.5 s doubling, at most a minute. */
export function backoffMs(failures: number): number {
  return Math.min(60_000, 500 * 2 ** (failures - 1));
}

/** Why a replica of a deployment may sleep instead of stopping; undefined: it stops. */
export function sleepAllowed(f: {
  idle: 'sleep' | 'stop' | undefined;
  deleting: boolean;
  /** the replica runs the deployment's current generation (an older one is rolled, not kept) */
  current: boolean;
  providerSleeps: boolean;
  engineSleeps: boolean;
  engine: string;
}): string | undefined {
  if (f.idle !== 'sleep' || f.deleting || !f.current) return undefined;
  if (!f.providerSleeps || !f.engineSleeps) return undefined;
  return `idle by sleep: the ${f.engine} engine keeps its process, weights off the GPU (a wake instead of a cold start)`;
}

/** A sleeping replica that must stop: its deployment is deleted, changed generation, or no longer idles by sleep. */
export function sleeperMustStop(f: { idle: 'sleep' | 'stop' | undefined; deleting: boolean; current: boolean }): string | undefined {
  if (f.deleting) return 'deployment deleted';
  if (!f.current) return 'its engine parameters changed';
  if (f.idle !== 'sleep') return 'the deployment no longer idles by sleep';
  return undefined;
}
