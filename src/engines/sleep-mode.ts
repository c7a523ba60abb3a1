/**
 * Which engines can sleep (keep their process, take their weights off the GPU) and how they are asked:
 * vLLM's sleep mode (`POST /sleep?level=1`, `POST /wake_up`, `GET /is_sleeping`; needs `--enable-sleep-mode`
 * and `VLLM_SERVER_DEV_MODE=1`, which src/engines/command/template.ts adds to a launch that asks for sleep
 * mode), and the built-in sim and llamacpp engines, which serve the same endpoints. SGLang and `command`
 * engines cannot: their idle replicas stop.
 */
import type { EngineName } from '../domain/types.js';

export interface SleepEndpoints {
  sleep: string;
  wake: string;
  isSleeping: string;
}

const VLLM_STYLE: SleepEndpoints = Object.freeze({ sleep: '/sleep?level=1', wake: '/wake_up', isSleeping: '/is_sleeping' });

const BY_ENGINE: Partial<Record<EngineName, SleepEndpoints>> = { sim: VLLM_STYLE, llamacpp: VLLM_STYLE, vllm: VLLM_STYLE };

/** The engine's sleep endpoints; undefined: it cannot sleep (its idle replicas stop). */
export function sleepEndpoints(engine: EngineName): SleepEndpoints | undefined {
  return BY_ENGINE[engine];
}
