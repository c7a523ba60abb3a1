/**
 * The replicas of one simulated deployment and the controller's way of changing them: scale-up starts
 * replicas that become routable after the cold start; scale-down takes its victims in the live controller's
 * order (src/controller/victims.ts): starting replicas first (newest first), then ready replicas with the
 * fewest requests in flight, which drain (they finish what they have, then stop). Billing runs from a replica's start to its stop, times gpuCount.
 */
import { floorKeepers, victimOrder, type VictimFacts } from '../../controller/victims.js';
import type { PoolVerdicts } from '../pool/constraints.js';
import type { EventClock } from './event-clock.js';
import type { CapacityHooks } from './capacity-hooks.js';
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
  /** the cloud model (capacity types, zones, prices), when on */
  cloud: CapacityHooks | undefined;

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
      const readyOnes = this.cloud ? this.readyList.filter((r) => !r.cloud?.extra) : this.readyList;
      const list = [...this.startingList, ...readyOnes];
      // a mixed deployment's on-demand floor goes last, as live (src/controller/plan.ts)
      const kept = floorKeepers(list, this.cloud?.onDemandFloor() ?? 0, (r) => r.cloud?.capacity === 'on-demand', victimFacts);
      const victims = victimOrder(list, kept.size ? (r) => ({ ...victimFacts(r), keep: kept.has(r) }) : victimFacts).slice(0, capacity - desired);
      for (const r of victims) {
        if (r.state === STARTING) {
          this.dropStarting(r, now);
          this.backToSleep(r, now);
        } else this.drainReady(r, now);
      }
      this.onReadyChange(this.readyList);
    }
    this.record(now);
    this.cloud?.changed(now);
  }

  /** A starting replica finished loading. */
  readyUp(r: SimReplica, now: number): void {
    if (r.state !== STARTING) return;
    r.readyEvent = null;
    if (r.cloud?.extra) {
      this.cloud?.extraReady(r, now);
      return;
    }
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
    this.cloud?.changed(now);
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
    for (const r of this.cloud?.startingExtras() ?? []) this.stopBilling(r, end);
    this.readyList.length = 0;
    this.startingList.length = 0;
    this.ready = 0;
    this.starting = 0;
    this.record(end);
  }

  private startOne(now: number, warm: boolean, coldStartMs: number): void {
    const r = new SimReplica(`r${this.nextId++}`, now);
    if (warm && !this.cloud) {
      this.addReady(r);
      return;
    }
    if (this.cloud) {
      const launchMs = this.cloud.place(r, now, warm);
      if (warm && launchMs === 0) {
        this.addReady(r);
        return;
      }
      this.coldStarts++;
      this.starting++;
      this.startingList.push(r);
      if (launchMs < Infinity) r.readyEvent = this.clock.push(now + launchMs + coldStartMs, EV_READY_KIND, r, 0);
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

  private addReady(r: SimReplica): void {
    r.state = READY;
    r.routable = true;
    this.ready++;
    this.readyList.push(r);
    this.onReadyChange(this.readyList);
  }

  private stopBilling(r: SimReplica, now: number): void {
    r.state = STOPPED;
    r.stoppedAt = now;
    this.gpuMs += (this.cloud ? this.cloud.stopped(r, now) : now - r.startedAt) * this.gpuCount;
  }

  // ---- the cloud model's moves (src/simulator/cloud/cloud-sim.ts); each keeps the counts above consistent

  /** A replica waiting for spot got a node: it is ready after the launch and the cold start. */
  launch(r: SimReplica, now: number, launchMs: number): void {
    if (r.state === STARTING) r.readyEvent = this.clock.push(now + launchMs + this.coldStartMs(), EV_READY_KIND, r, 0);
  }

  /**
   * A replica's node is being reclaimed: out of rotation at once (a ready one drains until it stops or the
   * notice ends; a starting one is dropped), and a replacement is asked for at once.
   */
  reclaim(r: SimReplica, now: number): void {
    if (r.state === STARTING) this.dropStarting(r, now);
    else if (r.state === READY) {
      this.drainReady(r, now);
      this.onReadyChange(this.readyList);
    } else return;
    const coldStartMs = this.coldStartMs();
    for (let k = this.ready + this.starting; k < this.desired; k++) this.startOne(now, false, coldStartMs);
    this.record(now);
  }

  /** A replica outside the count (see CloudPlacement.extra), ready after `launchMs` and the cold start. */
  startExtra(r: SimReplica, now: number, launchMs: number): void {
    r.readyEvent = this.clock.push(now + launchMs + this.coldStartMs(), EV_READY_KIND, r, 0);
  }

  /** An extra replica takes traffic without counting as one of the deployment's replicas. */
  routeExtra(r: SimReplica): void {
    r.state = READY;
    r.routable = true;
    this.readyList.push(r);
    this.onReadyChange(this.readyList);
  }

  /** An extra replica is no longer wanted: dropped while starting, drained when ready. */
  retireExtra(r: SimReplica, now: number): void {
    if (r.state === STARTING) {
      r.readyEvent?.cancel();
      r.readyEvent = null;
      this.stopBilling(r, now);
    } else if (r.state === READY) {
      this.ready++; // not counted: drainReady takes one off
      this.drainReady(r, now);
      this.onReadyChange(this.readyList);
    }
  }

  /** A ready extra replica takes `old`'s place in the count; `old` drains (or is dropped while starting). */
  swapIn(r: SimReplica, old: SimReplica, now: number): void {
    this.addReady(r);
    if (old.state === STARTING) this.dropStarting(old, now);
    else {
      this.drainReady(old, now);
      this.onReadyChange(this.readyList);
    }
    this.record(now);
  }

  private dropStarting(r: SimReplica, now: number): void {
    this.startingList.splice(this.startingList.indexOf(r), 1);
    r.readyEvent?.cancel();
    r.readyEvent = null;
    this.starting--;
    this.stopBilling(r, now);
  }

  /** Out of rotation, draining; stops at once with nothing in flight. The caller tells Admission. */
  private drainReady(r: SimReplica, now: number): void {
    this.readyList.splice(this.readyList.indexOf(r), 1);
    r.routable = false;
    r.state = DRAINING;
    this.ready--;
    this.draining++;
    if (r.inflight === 0) this.stop(r, now);
  }

  private record(now: number): void {
    this.timeline.record(now - this.t0, this.ready, this.starting);
  }
}
