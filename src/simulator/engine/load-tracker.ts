/**
 * What the simulator measures for the policy, like the live gateway does every second: the time-averaged
 * number of running requests, the queue at sample time, arrivals, and the p95 TTFT of the first tokens
 * produced in the interval. Samples go into a window the policy reads (PolicyInput.samples) and into the
 * shared DemandHistory (5-minute DemandPoints for forecasting over multi-day traces).
 */
import { DemandHistory } from '../../autoscaler/window.js';
import type { LoadSample } from '../../autoscaler/types.js';

export class LoadTracker {
  /** oldest first; appended to, and replaced by a shorter copy (never spliced) when it grows past 2x keep */
  samples: LoadSample[] = [];
  readonly history: DemandHistory;
  arrivals = 0;
  private area = 0;
  private lastT: number;
  private ftAt: number[] = [];
  private ftVal: number[] = [];
  private readonly tmp: number[] = [];
  private readonly keep: number;

  constructor(
    start: number,
    readonly intervalMs = 1000,
    keepMs = 3_600_000,
    bucketMs = 300_000,
  ) {
    this.lastT = start;
    this.keep = Math.max(1, Math.ceil(keepMs / intervalMs));
    this.history = new DemandHistory([], bucketMs, 400 * 86_400_000, intervalMs);
  }

  /** Accumulates `running x elapsed` up to t (call before the running count changes). */
  integrate(t: number, running: number): void {
    this.area += running * (t - this.lastT);
    this.lastT = t;
  }

  /** A request's first token came out at `at` after `ttftMs`. */
  firstToken(at: number, ttftMs: number): void {
    this.ftAt.push(at);
    this.ftVal.push(ttftMs);
  }

  /** Closes the interval ending at t (integrate(t, ...) first). */
  sample(t: number, queued: number): LoadSample {
    const s: LoadSample = { at: t, ongoing: this.area / this.intervalMs, queued, arrivals: this.arrivals };
    const p95 = this.takeTtftP95(t);
    if (p95 !== undefined) s.ttftP95Ms = p95;
    this.area = 0;
    this.arrivals = 0;
    this.push(s);
    return s;
  }

  /**
   * Zero samples at firstAt, firstAt + interval, ..., lastAt, when nothing ran and nothing arrived (the fast
   * idle path). Seconds that would fall out of the sample window at once only feed the demand history.
   */
  idleSamples(firstAt: number, lastAt: number): void {
    const step = this.intervalMs;
    let t = firstAt;
    const keepFrom = lastAt - (this.keep - 1) * step;
    for (; t < keepFrom; t += step) this.history.record({ at: t, ongoing: 0, queued: 0, arrivals: 0 });
    for (; t <= lastAt; t += step) this.push({ at: t, ongoing: 0, queued: 0, arrivals: 0 });
    this.area = 0;
    this.arrivals = 0;
    this.lastT = lastAt;
  }

  private push(s: LoadSample): void {
    this.history.record(s);
    const buf = this.samples;
    buf.push(s);
    if (buf.length >= 2 * this.keep) this.samples = buf.slice(buf.length - this.keep);
  }

  private takeTtftP95(t: number): number | undefined {
    const at = this.ftAt;
    const n = at.length;
    if (n === 0) return undefined;
    const val = this.ftVal;
    const tmp = this.tmp;
    tmp.length = 0;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (at[i] <= t) tmp.push(val[i]);
      else {
        at[w] = at[i];
        val[w] = val[i];
        w++;
      }
    }
    at.length = w;
    val.length = w;
    if (tmp.length === 0) return undefined;
    tmp.sort((a, b) => a - b);
    return tmp[Math.max(0, Math.ceil(0.95 * tmp.length) - 1)];
  }
}
