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
  private ftWait: number[] = [];
  private ftPrefill: number[] = [];
  private ftPrompt: number[] = [];
  private doneAt: number[] = [];
  private doneService: number[] = [];
  private doneItl: number[] = [];
  private readonly tmp: number[] = [];
  private readonly tmp2: number[] = [];
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

  /** A request's first token comes out at `at` after `ttftMs`: `waitMs` for a slot, then `prefillMs` for `promptTokens`. */
  firstToken(at: number, ttftMs: number, waitMs = ttftMs, prefillMs = 0, promptTokens = 0): void {
    this.ftAt.push(at);
    this.ftVal.push(ttftMs);
    this.ftWait.push(waitMs);
    this.ftPrefill.push(prefillMs);
    this.ftPrompt.push(promptTokens);
  }

  /** A request finishes at `at` after holding its slot `serviceMs`, at `itlMs` per token (NaN: one token). */
  completion(at: number, serviceMs: number, itlMs: number): void {
    this.doneAt.push(at);
    this.doneService.push(serviceMs);
    this.doneItl.push(itlMs);
  }

  /** Closes the interval ending at t (integrate(t, ...) first). */
  sample(t: number, queued: number): LoadSample {
    const s: LoadSample = { at: t, ongoing: this.area / this.intervalMs, queued, arrivals: this.arrivals };
    this.takeFirstTokens(t, s);
    this.takeCompletions(t, s);
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

  /** The TTFT p95, its wait p95 and the mean prefill and prompt of the first tokens due by t, into s. */
  private takeFirstTokens(t: number, s: LoadSample): void {
    const at = this.ftAt;
    const n = at.length;
    if (n === 0) return;
    const { ftVal: val, ftWait: wait, ftPrefill: pre, ftPrompt: prompt, tmp } = this;
    const waits = this.tmp2;
    tmp.length = 0;
    waits.length = 0;
    let w = 0;
    let preSum = 0;
    let promptSum = 0;
    for (let i = 0; i < n; i++) {
      if (at[i] <= t) {
        tmp.push(val[i]);
        waits.push(wait[i]);
        preSum += pre[i];
        promptSum += prompt[i];
      } else {
        at[w] = at[i];
        val[w] = val[i];
        wait[w] = wait[i];
        pre[w] = pre[i];
        prompt[w] = prompt[i];
        w++;
      }
    }
    at.length = val.length = wait.length = pre.length = prompt.length = w;
    const k = tmp.length;
    if (k === 0) return;
    const rank = Math.max(0, Math.ceil(0.95 * k) - 1);
    tmp.sort((a, b) => a - b);
    waits.sort((a, b) => a - b);
    s.ttftP95Ms = tmp[rank];
    s.waitP95Ms = waits[rank];
    s.prefillMs = preSum / k;
    s.promptTokens = promptSum / k;
  }

  /** Completions due by t: their count, mean slot time and mean inter-token latency, into s. */
  private takeCompletions(t: number, s: LoadSample): void {
    const at = this.doneAt;
    const n = at.length;
    if (n === 0) return;
    const { doneService: svc, doneItl: itl } = this;
    let w = 0;
    let k = 0;
    let svcSum = 0;
    let itlSum = 0;
    let itlN = 0;
    for (let i = 0; i < n; i++) {
      if (at[i] <= t) {
        k++;
        svcSum += svc[i];
        if (itl[i] === itl[i]) {
          itlSum += itl[i];
          itlN++;
        }
      } else {
        at[w] = at[i];
        svc[w] = svc[i];
        itl[w] = itl[i];
        w++;
      }
    }
    at.length = svc.length = itl.length = w;
    if (k === 0) return;
    s.completions = k;
    s.serviceMs = svcSum / k;
    if (itlN) s.itlMs = itlSum / itlN;
  }
}
