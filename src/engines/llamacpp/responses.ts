/** OpenAI-shaped bodies and SSE chunks of the llama.cpp engine (text arrives piece by piece). */
import type { Usage } from '../sim/openai-responses.js';

export type Finish = 'stop' | 'length';

export interface Meta {
  id: string;
  created: number;
  model: string;
  kind: 'chat' | 'completion';
}

/** One streamed piece; chat's first chunk carries the role, the last one (empty text) the finish reason. */
export function chunk(m: Meta, text: string, opts: { first?: boolean; finish?: Finish | null } = {}): string {
  const finish = opts.finish ?? null;
  const choice =
    m.kind === 'chat'
      ? { index: 0, delta: opts.first ? { role: 'assistant', content: text } : finish ? {} : { content: text }, logprobs: null, finish_reason: finish }
      : { index: 0, text, logprobs: null, finish_reason: finish };
  return JSON.stringify({
    id: m.id,
    object: m.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: m.created,
    model: m.model,
    choices: [choice],
  });
}

export function usageChunk(m: Meta, usage: Usage): string {
  return JSON.stringify({
    id: m.id,
    object: m.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: m.created,
    model: m.model,
    choices: [],
    usage,
  });
}

export function body(m: Meta, text: string, finish: Finish, usage: Usage): string {
  const choice =
    m.kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish }
      : { index: 0, text, logprobs: null, finish_reason: finish };
  return JSON.stringify({
    id: m.id,
    object: m.kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: m.created,
    model: m.model,
    choices: [choice],
    usage,
  });
}

export function modelsList(model: string, created: number): string {
  return JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', created, owned_by: 'inferscale-llamacpp', root: model, parent: null }] });
}
