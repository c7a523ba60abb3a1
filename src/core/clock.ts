/**
 * The one clock. Domain code never calls Date.now() or setTimeout directly: the live server passes
 * `systemClock`, the simulator passes its virtual clock, tests pass a `FakeClock`.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (or since the start of a simulation). */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to: for tests and the discrete-event simulator. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const entry: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(entry);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== entry)) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Sets the time to `at` (never backwards), firing due timers. */
  set(at: number): void {
    this.advance(Math.max(0, at - this.t));
  }

  private nextDue(end: number): Pending | undefined {
    let best: Pending | undefined;
    for (const x of this.timers) {
      if (x.at > end) continue;
      if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    }
    return best;
  }
}
