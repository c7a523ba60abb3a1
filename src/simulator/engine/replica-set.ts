/**
 * The replicas of one simulated deployment and the controller's way of changing them: scale-up starts
 * replicas that become routable after the cold start; scale-down takes its victims in the live controller's
 * order (src/controller/victims.ts): starting replicas first (newest first), then ready replicas with the
 * fewest requests in flight, which drain (they finish what they have, then stop). Billing runs from a replica's start to its stop, times gpuCount.
 */
import { victimOrder, type VictimFacts } from '../../controller/victims.js';
import type { PoolVerdicts } from '../pool/constraints.js';
import type { EventClock } from './event-clock.js';
import { DRAINING, READY, SimReplica, STARTING, STOPPED, Timeline } from './replica.js';

export const EV_READY_KIND = 2;

/** A starting or ready replica as the shared victim order reads it. */
function victimFacts(r: SimReplica): VictimFacts {
  return { stage: r.state === READY ? 'ready' : 'starting', inflight: r.inflight, createdAt: r.startedAt };
}

export class ReplicaSet {
  readonly timeline = new Timeline();
  /** routable replicas, the list Admission routes over */
  private readonly readyList: SimReplica[] = [];
  private readonly startingList: SimReplica[] = [];
  ready = 0;
  starting = 0;
  draining = 0;
  desired = 0;
  gpuMs = 0;
  coldStarts = 0;
  wakes = 0;
  /** sleeping replicas (sleep on), and their count over time */
  sleepers = 0;
  readonly sleeping = { t: [] as number[], n: [] as number[] };
  /** sleep on: a drained replica sleeps (at most this many per deployment) and a scale-up wakes one in wakeMs */
  sleep: { wakeMs: number; maxSleepers: number } | undefined;
  /** a pool replay's verdicts (src/simulator/pool): starts that wait for room, sleepers evicted */
  verdicts: PoolVerdicts | undefined;
  /** sleeps (+1) and wakes (-1) in time order (trace ms), evictions left out: what a pool replay follows */
  readonly sleepLog = { t: [] as number[], d: [] as number[] };
  evictions = 0;
  /** woken sleepers whose start waits for room on the pool, with when the wait ends */
  private readonly wakingPending = new Map<SimReplica, number>();
  scalingActions = 0;
  private nextId = 0;
  onReadyChange: (list: SimReplica[]) => void = () => {};

  constructor(
    private readonly clock: EventClock,
    private readonly t0: number,
    private readonly gpuCount: number,
    private readonly coldStartMs: () => number = () => 0,
  ) {}

  /** replicas that exist (starting, ready or draining) */
  get live(): number {
    return this.ready + this.starting + this.draining;
  }

  /** Applies a desired count; `warm` starts replicas ready at once (the state before the trace). */
  apply(desiredRaw: number, now: number, warm: boolean, coldStartMs = this.coldStartMs()): void {
    const desired = desiredRaw > 0 && Number.isFinite(desiredRaw) ? Math.floor(desiredRaw) : 0;
    this.desired = desired;
    const capacity = this.ready + this.starting;
    if (desired === capacity) return;
    if (!warm) this.scalingActions++;
    if (desired > capacity) {
      for (let k = capacity; k < desired; k++) this.startOne(now, warm, coldStartMs);
    } else {
      const victims = victimOrder([...this.startingList, ...this.readyList], victimFacts).slice(0, capacity - desired);
      for (const r of victims) {
        if (r.state === STARTING) {
          this.startingList.splice(this.startingList.indexOf(r), 1);
          r.readyEvent?.cancel();
          r.readyEvent = null;
          this.starting--;
          this.stopBilling(r, now);
          this.backToSleep(r, now);
        } else {
          this.readyList.splice(this.readyList.indexOf(r), 1);
          r.routable = false;
          r.state = DRAINING;
          this.ready--;
          this.draining++;
          if (r.inflight === 0) this.stop(r, now);
        }
      }
      this.onReadyChange(this.readyList);
    }
    this.record(now);
  }

  /** A starting replica finished loading. */
  readyUp(r: SimReplica, now: number): void {
    if (r.state !== STARTING) return;
    r.readyEvent = null;
    const i = this.startingList.indexOf(r);
    if (i >= 0) this.startingList.splice(i, 1);
    r.state = READY;
    r.routable = true;
    this.wakingPending.delete(r);
    this.starting--;
    this.ready++;
    this.readyList.push(r);
    this.onReadyChange(this.readyList);
    this.record(now);
  }

  /** A draining replica with nothing left in flight stops. */
  stop(r: SimReplica, now: number): void {
    if (r.state !== DRAINING) return;
    this.draining--;
    this.stopBilling(r, now);
    this.syncEvictions(now);
    if (this.sleep && this.sleepers < this.sleep.maxSleepers) {
      this.setSleepers(this.sleepers + 1, now);
      this.logSleep(now, 1);
    }
    this.record(now);
  }

  /** Applies the pool's evictions due by `now` (each stops a sleeper, if one sleeps then). */
  syncEvictions(now: number): void {
    if (!this.verdicts) return;
    for (const t of this.verdicts.takeEvictions(now - this.t0)) {
      if (this.sleepers === 0) continue;
      this.evictions++;
      this.setSleepers(this.sleepers - 1, t + this.t0);
    }
  }

  private logSleep(now: number, d: number): void {
    this.sleepLog.t.push(now - this.t0);
    this.sleepLog.d.push(d);
  }

  private setSleepers(n: number, now: number): void {
    this.sleepers = n;
    this.sleeping.t.push(now - this.t0);
    this.sleeping.n.push(n);
  }

  /** End of the simulation: everything stops (billing ends) at `end`. */
  stopAll(end: number): void {
    for (const r of this.readyList) this.stopBilling(r, end);
    for (const r of this.startingList) this.stopBilling(r, end);
    this.readyList.length = 0;
    this.startingList.length = 0;
    this.ready = 0;
    this.starting = 0;
    this.record(end);
  }

  private startOne(now: number, warm: boolean, coldStartMs: number): void {
    const r = new SimReplica(`r${this.nextId++}`, now);
    if (warm) {
      r.state = READY;
      r.routable = true;
      this.ready++;
      this.readyList.push(r);
      this.onReadyChange(this.readyList);
      return;
    }
    let loadMs = coldStartMs;
    this.syncEvictions(now);
    const woke = this.sleep !== undefined && this.sleepers > 0;
    if (this.sleep && woke) {
      this.setSleepers(this.sleepers - 1, now);
      this.logSleep(now, -1);
      this.wakes++;
      loadMs = this.sleep.wakeMs;
    } else this.coldStarts++;
    this.starting++;
    this.startingList.push(r);
    // on a full pool the replica waits (pending) for room before it loads
    const from = this.verdicts ? this.t0 + this.verdicts.startAt(now - this.t0) : now;
    if (woke && from > now) this.wakingPending.set(r, from);
    r.readyEvent = this.clock.push(from + loadMs, EV_READY_KIND, r, 0);
  }

  /** A woken sleeper taken down while it still waited for room never left host RAM: it sleeps again. */
  private backToSleep(r: SimReplica, now: number): void {
    const until = this.wakingPending.get(r);
    if (until === undefined) return;
    this.wakingPending.delete(r);
    if (now < until && this.sleep && this.sleepers < this.sleep.maxSleepers) {
      this.setSleepers(this.sleepers + 1, now);
      this.logSleep(now, 1);
    }
  }

  private stopBilling(r: SimReplica, now: number): void {
    r.state = STOPPED;
    r.stoppedAt = now;
    this.gpuMs += (now - r.startedAt) * this.gpuCount;
  }

  private record(now: number): void {
    this.timeline.record(now - this.t0, this.ready, this.starting);
  }
}
