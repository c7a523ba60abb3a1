/**
 * The llama.cpp engine's sleep mode, with vLLM's endpoints: POST /sleep?level=1 unloads the model (its
 * weights leave memory; the GGUF file stays on disk and in the page cache), POST /wake_up loads it again,
 * GET /is_sleeping says which. Both are a real unload and load of the model, not a flag.
 */
import type http from 'node:http';
import { checkSleepLevel, routeSleep, type SleepPhase } from '../sleep-endpoints.js';
import { OpenAIError } from '../sim/openai-requests.js';
import type { LlamaRuntime } from './runtime-contract.js';

export type LlamaSleepPhase = SleepPhase;

export interface LlamaSleepHost {
  runtime(): LlamaRuntime | undefined;
  setRuntime(rt: LlamaRuntime | undefined): void;
  /** loads the model again (the same file and parameters as at start) */
  load(): Promise<LlamaRuntime>;
  /** generation requests running or waiting: a sleep must not cut them */
  busy(): number;
  log(line: string): void;
}

export class LlamaSleep {
  private phase: LlamaSleepPhase = 'awake';
  private waking?: Promise<void>;

  constructor(private readonly host: LlamaSleepHost) {}

  get state(): LlamaSleepPhase {
    return this.phase;
  }

  async sleep(level: number): Promise<void> {
    checkSleepLevel(level);
    if (this.phase === 'asleep') return;
    if (this.phase === 'waking') throw new OpenAIError(409, 'the engine is waking up', 'invalid_request_error', 'engine_busy');
    const rt = this.host.runtime();
    if (!rt) throw new OpenAIError(503, 'the model is still loading', 'server_error', 'model_loading');
    const busy = this.host.busy();
    if (busy > 0) throw new OpenAIError(409, `${busy} requests in flight: drain before sleeping`, 'invalid_request_error', 'engine_busy');
    const t = Date.now();
    this.phase = 'asleep';
    this.host.setRuntime(undefined);
    await rt.close();
    this.host.log(`asleep: model unloaded in ${Date.now() - t}ms`);
  }

  /** Loads the model again; concurrent calls share one load. A failed load leaves it asleep and rejects. */
  wake(): Promise<void> {
    if (this.phase === 'awake') return Promise.resolve();
    if (!this.waking) {
      const t = Date.now();
      this.phase = 'waking';
      this.waking = this.host
        .load()
        .then((rt) => {
          this.host.setRuntime(rt);
          this.phase = 'awake';
          this.host.log(`awake: model loaded again in ${Date.now() - t}ms`);
        })
        .catch((e: unknown) => {
          this.phase = 'asleep';
          throw new OpenAIError(500, `could not load the model again: ${(e as Error).message}`, 'server_error', 'wake_failed');
        })
        .finally(() => {
          this.waking = undefined;
        });
    }
    return this.waking;
  }

  /** Serves /sleep, /wake_up and /is_sleeping (src/engines/sleep-endpoints.ts); false: not one of them. */
  route(method: string, path: string, query: URLSearchParams, res: http.ServerResponse): Promise<boolean> {
    // the weights are unloaded, not kept in host RAM: nothing held beyond the page cache
    const engine = { phase: () => this.phase, sleep: async (level: number) => (await this.sleep(level), 0), wake: () => this.wake() };
    return routeSleep(engine, method, path, query, res);
  }
}
