/**
 * Answers as the real engines write them, field for field and in their order (from their sources), for
 * the tests of the gateway's usage reading and for the fake engine servers (fake-engine.ts beside it).
 *
 * vLLM (vllm/entrypoints/openai/protocol.py): `UsageInfo` is prompt_tokens, total_tokens,
 * completion_tokens, prompt_tokens_details (None unless enabled); a response is id, object, created,
 * model, choices, service_tier, system_fingerprint, usage, prompt_logprobs, ..., serialized compact
 * (pydantic `model_dump_json`, `exclude_unset` for stream chunks). The usage-only stream chunk has
 * `"choices":[]`.
 * SGLang (python/sglang/srt/entrypoints/openai/protocol.py): `UsageInfo` is prompt_tokens,
 * total_tokens, completion_tokens, prompt_tokens_details, reasoning_tokens; chunks also carry
 * `"usage":null` until the last one.
 */
export type EngineFlavour = 'vllm' | 'sglang';

export function usageInfo(flavour: EngineFlavour, prompt: number, completion: number): Record<string, unknown> {
  const total = prompt + completion;
  if (flavour === 'vllm') return { prompt_tokens: prompt, total_tokens: total, completion_tokens: completion, prompt_tokens_details: null };
  return { prompt_tokens: prompt, total_tokens: total, completion_tokens: completion, prompt_tokens_details: null, reasoning_tokens: 0 };
}

/** A non-streamed /v1/chat/completions answer. */
export function chatAnswer(flavour: EngineFlavour, model: string, text: string, prompt: number, completion: number): string {
  const message =
    flavour === 'vllm'
      ? { role: 'assistant', reasoning_content: null, content: text, tool_calls: [] }
      : { role: 'assistant', content: text, reasoning_content: null, tool_calls: null };
  const choice = { index: 0, message, logprobs: null, finish_reason: 'length', stop_reason: null };
  const head = { id: 'chatcmpl-fake', object: 'chat.completion', created: 1733540000, model, choices: [choice] };
  const tail =
    flavour === 'vllm'
      ? { service_tier: null, system_fingerprint: null, usage: usageInfo(flavour, prompt, completion), prompt_logprobs: null, kv_transfer_params: null }
      : { usage: usageInfo(flavour, prompt, completion), metadata: { weight_version: 'default' } };
  return JSON.stringify({ ...head, ...tail });
}

/** A streamed /v1/chat/completions answer: one event per token, then (when asked) the usage-only event, then [DONE]. */
export function chatStream(flavour: EngineFlavour, model: string, tokens: string[], prompt: number, includeUsage: boolean): string[] {
  const events: string[] = [];
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1733540000, model };
  const nullUsage = flavour === 'sglang' ? { usage: null } : {};
  tokens.forEach((t, i) => {
    const last = i === tokens.length - 1;
    events.push(
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: t }, logprobs: null, finish_reason: last ? 'length' : null }], ...nullUsage }),
    );
  });
  if (includeUsage) events.push(JSON.stringify({ ...base, choices: [], usage: usageInfo(flavour, prompt, tokens.length) }));
  return [...events.map((e) => `data: ${e}\n\n`), 'data: [DONE]\n\n'];
}
