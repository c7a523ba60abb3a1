/**
 * The simulator's virtual clock: a Clock (the same interface the live gateway runs on) backed by a binary
 * heap of events. Callback timers (what Admission sets for queue timeouts) and the simulator's own typed
 * events (a request finishing, a replica becoming ready) share one heap, ordered by (time, insertion).
 * Cancelled timers stay in the heap and are skipped when they come up (cheaper than removing them).
 */
import type { Clock, Timer } from '../../core/clock.js';

export const EV_CALLBACK = 0;

export class SimEvent implements Timer {
  cancelled = false;
  constructor(
    public at: number,
    public seq: number,
    /** EV_CALLBACK, or a kind the owner of the clock defines */
    public kind: number,
    /** payload for typed events */
    public ref: unknown,
    /** request index (or any number) for typed events */
    public n: number,
    public fn: (() => void) | null,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

export class EventClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: SimEvent[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Moves the clock to `at` (never backwards). The simulator loop calls this before handling an event. */
  advanceTo(at: number): void {
    if (at > this.t) this.t = at;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.push(this.t + Math.max(0, ms), EV_CALLBACK, null, 0, fn);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Schedules a typed event; returns it (cancel() works on it too). */
  push(at: number, kind: number, ref: unknown, n: number, fn: (() => void) | null = null): SimEvent {
    const e = new SimEvent(at, this.seq++, kind, ref, n, fn);
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p];
      if (q.at < at || (q.at === at && q.seq < e.seq)) break;
      h[i] = q;
      i = p;
    }
    h[i] = e;
    return e;
  }

  /** Time of the next live event, Infinity when none (drops cancelled ones on top). */
  peekTime(): number {
    const h = this.heap;
    while (h.length > 0 && h[0].cancelled) this.popTop();
    return h.length > 0 ? h[0].at : Infinity;
  }

  /** Removes and returns the next live event (call peekTime first). */
  pop(): SimEvent | undefined {
    this.peekTime();
    return this.heap.length > 0 ? this.popTop() : undefined;
  }

  /** events in the heap, cancelled ones included */
  get size(): number {
    return this.heap.length;
  }

  private popTop(): SimEvent {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as SimEvent;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (h[r].at < h[l].at || (h[r].at === h[l].at && h[r].seq < h[l].seq))) c = r;
        const x = h[c];
        if (last.at < x.at || (last.at === x.at && last.seq < x.seq)) break;
        h[i] = x;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
