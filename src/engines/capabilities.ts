import type { EngineName } from '../domain/types.js';

/**
 * Engines that honour `stream_options.include_usage` (one last event with `"choices": []` and `usage`):
 * vLLM and SGLang (OpenAI's protocol), the engine simulator and the llama.cpp engine. A custom command
 * may not, so the gateway never adds the option for it.
 */
const STREAM_USAGE: ReadonlySet<EngineName> = new Set<EngineName>(['sim', 'llamacpp', 'vllm', 'sglang']);

export function sendsStreamUsage(engine: EngineName): boolean {
  return STREAM_USAGE.has(engine);
}
