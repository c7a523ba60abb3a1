/**
 * The engine simulator's sleep mode, after vLLM's (`--enable-sleep-mode`, dev endpoints): POST /sleep?level=1
 * takes the weights off the GPU (they wait in host RAM: `--sleep-ram-gib`), POST /wake_up brings them back
 * after `--wake-seconds`, GET /is_sleeping says which. While asleep or waking the engine takes no generation
 * work (503 model_sleeping); /health stays 200, as vLLM's does.
 */
import type http from 'node:http';
import type { Clock, Timer } from '../../core/clock.js';
import { checkSleepLevel, routeSleep, type SleepPhase } from '../sleep-endpoints.js';
import { OpenAIError } from './openai-requests.js';

export type { SleepPhase };

export class SimSleep {
  private phase: SleepPhase = 'awake';
  private wakeTimer?: Timer;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly clock: Clock,
    private readonly wakeSeconds: number,
    private readonly ramGib: number,
    private readonly log: (line: string) => void,
  ) {}

  get state(): SleepPhase {
    return this.phase;
  }

  /** Throws the 503 of an engine that sleeps or is waking. */
  assertAwake(): void {
    if (this.phase !== 'awake') throw new OpenAIError(503, `engine is ${this.phase === 'asleep' ? 'asleep' : 'waking up'}`, 'server_error', 'model_sleeping');
  }

  /** Goes to sleep (idempotent); `busy`: requests in flight, which a sleep must not cut. */
  sleep(level: number, busy: number): void {
    checkSleepLevel(level);
    if (busy > 0) throw new OpenAIError(409, `${busy} requests in flight: drain before sleeping`, 'invalid_request_error', 'engine_busy');
    this.wakeTimer?.cancel();
    this.wakeTimer = undefined;
    if (this.phase !== 'asleep') this.log(`asleep (level ${level}): weights off the GPU`);
    this.phase = 'asleep';
    this.release();
  }

  /** Wakes (idempotent): resolves once awake, `wakeSeconds` after the first call. */
  wake(): Promise<void> {
    if (this.phase === 'awake') return Promise.resolve();
    if (this.phase === 'asleep') {
      this.phase = 'waking';
      const from = this.clock.now();
      const done = () => {
        this.wakeTimer = undefined;
        this.phase = 'awake';
        this.log(`awake after ${((this.clock.now() - from) / 1000).toFixed(2)}s`);
        this.release();
      };
      if (this.wakeSeconds === 0) {
        done();
        return Promise.resolve();
      }
      this.wakeTimer = this.clock.setTimeout(done, this.wakeSeconds * 1000);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.wakeTimer?.cancel();
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Serves /sleep, /wake_up and /is_sleeping (src/engines/sleep-endpoints.ts); false: not one of them. `busy`: generation requests in flight. */
  route(method: string, path: string, query: URLSearchParams, res: http.ServerResponse, busy: number): Promise<boolean> {
    const engine = {
      phase: () => this.phase,
      sleep: async (level: number) => {
        this.sleep(level, busy);
        return Math.round(this.ramGib * 2 ** 30);
      },
      wake: () => this.wake(),
    };
    return routeSleep(engine, method, path, query, res);
  }
}
