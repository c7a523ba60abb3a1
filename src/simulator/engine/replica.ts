/**
 * A simulated replica: a RoutableReplica for the shared Admission/balancer, plus the engine side (running
 * sequences up to maxNumSeqs, a FIFO of requests granted beyond that) and its billing interval.
 */
import type { RoutableReplica } from '../../gateway/balancer.js';
import type { SimEvent } from './event-clock.js';

/** Where a replica runs under the cloud model; absent without one. */
export interface CloudPlacement {
  capacity: 'on-demand' | 'spot' | undefined;
  /** zone index (spot), -1 for on-demand or not placed yet */
  zone: number;
  usdPerHour: number;
  /** when its node was launched (billing starts), -1 while it waits for spot */
  billFrom: number;
  /** spot asked for and no zone has it yet: since when */
  pendingSince: number;
  /** outside the deployment's count: a SkyServe on-demand cover, or a spot replica moving in for `replaces` */
  extra: boolean;
  replaces: SimReplica | null;
  /** on-demand because spot was short past the bound (mixed): moved back to spot when it returns */
  fallback: boolean;
  /** the spot replica moving in for it */
  mover: SimReplica | null;
  /** its zone was reclaimed: out of rotation, dies at the notice's end */
  reclaimed: boolean;
}

export const STARTING = 0;
export const READY = 1;
export const DRAINING = 2;
export const STOPPED = 3;

export class SimReplica implements RoutableReplica {
  /** requests granted by Admission and not released (running + waiting at the engine) */
  inflight = 0;
  routable = false;
  state = STARTING;
  /** sequences running on the engine */
  running = 0;
  /** request indices granted beyond maxNumSeqs, waiting at the engine */
  readonly waiting: number[] = [];
  waitHead = 0;
  stoppedAt = -1;
  readyEvent: SimEvent | null = null;
  /** with a cloud model (src/simulator/cloud/): where it runs and its state there */
  cloud: CloudPlacement | null = null;
  /** with a cloud model: the completion events of the requests running on it (aborted at a reclaim) */
  runs: Set<SimEvent> | null = null;

  constructor(
    readonly id: string,
    readonly startedAt: number,
  ) {}

  get engineWaiting(): number {
    return this.waiting.length - this.waitHead;
  }

  shiftWaiting(): number {
    const i = this.waiting[this.waitHead++];
    if (this.waitHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitHead = 0;
    }
    return i;
  }
}

/** Replica-count changes over time, in trace ms (for plots and for the fidelity test). */
export class Timeline {
  readonly t: number[] = [];
  readonly ready: number[] = [];
  readonly starting: number[] = [];

  record(t: number, ready: number, starting: number): void {
    const n = this.t.length;
    if (n > 0 && this.t[n - 1] === t) {
      this.ready[n - 1] = ready;
      this.starting[n - 1] = starting;
      return;
    }
    if (n > 0 && this.ready[n - 1] === ready && this.starting[n - 1] === starting) return;
    this.t.push(t);
    this.ready.push(ready);
    this.starting.push(starting);
  }
}
