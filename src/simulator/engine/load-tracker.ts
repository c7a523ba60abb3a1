/**
 * What the simulator measures for the policy, like the live gateway does every second: the time-averaged
 * number of running requests, the queue at sample time, arrivals, and what the first tokens and the
 * completions due in the interval measured. Those go into a gateway Window (src/gateway/window-stats.ts)
 * as the gateway records them, and the window becomes a LoadSample by the history sampler's own
 * `intervalSample` (src/history/window.ts). Samples go into a window the policy reads
 * (PolicyInput.samples) and into the shared DemandHistory (5-minute DemandPoints for forecasting over
 * multi-day traces).
 */
import { DemandHistory } from '../../autoscaler/window.js';
import type { LoadSample } from '../../autoscaler/types.js';
import { emptyWindow, recordCompletion, recordFirstToken, WINDOW_TOTALS } from '../../gateway/window-stats.js';
import { emptySample, intervalSample } from '../../history/window.js';

export class LoadTracker {
  /** oldest first; appended to, and replaced by a shorter copy (never spliced) when it grows past 2x keep */
  samples: LoadSample[] = [];
  readonly history: DemandHistory;
  arrivals = 0;
  private area = 0;
  private lastT: number;
  /** the interval's measurements, as the gateway keeps them */
  private readonly window = emptyWindow();
  /** first tokens and completions simulated ahead of time, recorded once their time has come */
  private ftAt: number[] = [];
  private ftTtft: number[] = [];
  private ftWait: number[] = [];
  private ftPrompt: number[] = [];
  private doneAt: number[] = [];
  private doneSlot: number[] = [];
  private doneTokens: number[] = [];
  private doneSinceFirst: number[] = [];
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

  /** A request's first token comes out at `at` after `ttftMs`, of which `waitMs` for a slot, for `promptTokens`. */
  firstToken(at: number, ttftMs: number, waitMs = ttftMs, promptTokens = 0): void {
    this.ftAt.push(at);
    this.ftTtft.push(ttftMs);
    this.ftWait.push(waitMs);
    this.ftPrompt.push(promptTokens);
  }

  /** A request of `tokens` tokens finishes at `at` after holding its slot `slotMs`, `sinceFirstTokenMs` after its first token. */
  completion(at: number, slotMs: number, tokens: number, sinceFirstTokenMs: number): void {
    this.doneAt.push(at);
    this.doneSlot.push(slotMs);
    this.doneTokens.push(tokens);
    this.doneSinceFirst.push(sinceFirstTokenMs);
  }

  /** Closes the interval ending at t (integrate(t, ...) first). */
  sample(t: number, queued: number): LoadSample {
    const w = this.window;
    w.arrivals = this.arrivals;
    this.takeFirstTokens(t);
    this.takeCompletions(t);
    const s = intervalSample(w, t, this.area / this.intervalMs, queued);
    for (const k of WINDOW_TOTALS) w[k] = 0;
    w.ttftMs.length = 0;
    w.waitMs.length = 0;
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
    for (; t < keepFrom; t += step) this.history.record(emptySample(t, 0, 0, 0, 0));
    for (; t <= lastAt; t += step) this.push(emptySample(t, 0, 0, 0, 0));
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

  /** The first tokens due by t go into the window; the later ones stay pending. */
  private takeFirstTokens(t: number): void {
    const at = this.ftAt;
    const n = at.length;
    if (n === 0) return;
    const { ftTtft: ttft, ftWait: wait, ftPrompt: prompt, window } = this;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (at[i] <= t) recordFirstToken(window, ttft[i], wait[i], prompt[i]);
      else {
        at[w] = at[i];
        ttft[w] = ttft[i];
        wait[w] = wait[i];
        prompt[w] = prompt[i];
        w++;
      }
    }
    at.length = ttft.length = wait.length = prompt.length = w;
  }

  /** The completions due by t go into the window; the later ones stay pending. */
  private takeCompletions(t: number): void {
    const at = this.doneAt;
    const n = at.length;
    if (n === 0) return;
    const { doneSlot: slot, doneTokens: tokens, doneSinceFirst: since, window } = this;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (at[i] <= t) recordCompletion(window, slot[i], tokens[i], since[i]);
      else {
        at[w] = at[i];
        slot[w] = slot[i];
        tokens[w] = tokens[i];
        since[w] = since[i];
        w++;
      }
    }
    at.length = slot.length = tokens.length = since.length = w;
  }
}
