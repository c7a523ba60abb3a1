/**
 * The token clock of one running request: waits prefillMs for the first token, then interTokenMs
 * between tokens, both recomputed from the replica's current load at each step. Emission goes to a
 * sink; when the sink reports backpressure the next delay starts only after it drains.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { SimEngineParams } from './params.js';
import { interTokenMs, prefillMs } from './service-model.js';

export interface TokenSink {
  /** Emits output token `index` (0-based). Returns false if the consumer is full (wait for drain). */
  token(index: number, last: boolean): boolean;
  /** Calls `cb` once when the consumer can take more. */
  onDrain(cb: () => void): void;
}

export interface GenerationOptions {
  clock: Clock;
  params: SimEngineParams;
  rand: () => number;
  promptTokens: number;
  outputTokens: number;
  /** Sequences running on the replica right now, including this one. */
  running: () => number;
  sink: TokenSink;
  /** Called once after the first token (prefill done). */
  onPrefilled?: () => void;
  /** Called once after the last token was emitted. Not called after cancel(). */
  onComplete: () => void;
}

export class Generation {
  private timer: Timer | undefined;
  private emitted = 0;
  private stopped = false;

  constructor(private readonly o: GenerationOptions) {}

  get tokensEmitted(): number {
    return this.emitted;
  }

  start(): void {
    const o = this.o;
    this.schedule(prefillMs(o.promptTokens, o.running(), o.params, o.rand));
  }

  /** Stops at once: no more tokens, no onComplete. Idempotent. */
  cancel(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => this.emit(), ms);
  }

  private emit(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const o = this.o;
    const index = this.emitted++;
    const last = this.emitted >= o.outputTokens;
    const ok = o.sink.token(index, last);
    if (index === 0) o.onPrefilled?.();
    if (this.stopped) return; // the sink or a hook may have cancelled us
    if (last) {
      this.stopped = true;
      o.onComplete();
      return;
    }
    const next = () => this.schedule(interTokenMs(o.running(), o.params, o.rand));
    if (ok) next();
    else o.sink.onDrain(next);
  }
}
