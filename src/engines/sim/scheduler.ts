/**
 * Admission for one simulated replica, like vLLM's scheduler seen from outside: up to `maxNumSeqs`
 * requests run at once, up to `maxWaiting` more wait in FIFO order, and anything beyond is rejected
 * (the server answers 503 `engine_overloaded`). Slots are freed on finish or abort via `release()`.
 */
import type { Clock } from '../../core/clock.js';

export type TicketState = 'waiting' | 'running' | 'released';

export interface SchedulerTicket {
  readonly id: number;
  readonly state: TicketState;
  /** Clock time the ticket was admitted (started waiting or running). */
  readonly admittedAt: number;
  /** Clock time it started running, once it has. */
  readonly startedAt: number | undefined;
  /** Frees the slot (running) or leaves the queue (waiting). Idempotent. */
  release(): void;
}

export interface SchedulerLimits {
  maxNumSeqs: number;
  maxWaiting: number;
}

class Ticket implements SchedulerTicket {
  state: TicketState = 'waiting';
  startedAt: number | undefined;
  constructor(
    readonly id: number,
    readonly admittedAt: number,
    readonly onStart: (t: SchedulerTicket) => void,
    private readonly owner: SimScheduler,
  ) {}
  release(): void {
    this.owner.releaseTicket(this);
  }
}

export class SimScheduler {
  private nextId = 1;
  private runningCount = 0;
  private readonly queue: Ticket[] = [];
  private queueHead = 0;
  /** Totals since creation. */
  admittedTotal = 0;
  rejectedTotal = 0;

  constructor(
    private readonly limits: SchedulerLimits,
    private readonly clock: Clock,
  ) {}

  get running(): number {
    return this.runningCount;
  }

  get waiting(): number {
    return this.queue.length - this.queueHead;
  }

  /**
   * Admits a request. If a slot is free it runs at once and `onStart` is called synchronously, before
   * admit returns; otherwise it waits and `onStart` is called when a slot frees up (from inside the
   * `release()` of another ticket). Returns undefined, calling nothing, when the waiting queue is full.
   */
  admit(onStart: (t: SchedulerTicket) => void): SchedulerTicket | undefined {
    const canRun = this.runningCount < this.limits.maxNumSeqs && this.waiting === 0;
    if (!canRun && this.waiting >= this.limits.maxWaiting) {
      this.rejectedTotal++;
      return undefined;
    }
    const t = new Ticket(this.nextId++, this.clock.now(), onStart, this);
    this.admittedTotal++;
    if (canRun) this.start(t);
    else this.queue.push(t);
    return t;
  }

  /** @internal used by tickets */
  releaseTicket(t: Ticket): void {
    if (t.state === 'released') return;
    const wasRunning = t.state === 'running';
    t.state = 'released';
    if (wasRunning) {
      this.runningCount--;
      this.promote();
    } else {
      const i = this.queue.indexOf(t, this.queueHead);
      if (i >= 0) this.queue.splice(i, 1);
    }
  }

  private start(t: Ticket): void {
    t.state = 'running';
    t.startedAt = this.clock.now();
    this.runningCount++;
    t.onStart(t);
  }

  private promote(): void {
    while (this.runningCount < this.limits.maxNumSeqs && this.waiting > 0) {
      const next = this.queue[this.queueHead++];
      this.compact();
      this.start(next);
    }
  }

  /** Drops consumed queue entries now and then, so the FIFO stays O(1) amortized. */
  private compact(): void {
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}
