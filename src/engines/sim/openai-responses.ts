/** OpenAI-shaped response bodies and SSE chunks produced by the simulator. */

export type FinishReason = 'stop' | 'length';
export type CompletionKind = 'chat' | 'completion';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What every chunk/response of one request shares. */
export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
  kind: CompletionKind;
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** One SSE event line pair. */
export function sseData(json: string): string {
  return `data: ${json}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * The streamed chunk for one output token. Chat: the first chunk carries `delta.role`. The last chunk
 * carries the finish_reason (so a stream of N tokens has exactly N choice chunks).
 */
export function tokenChunk(meta: ResponseMeta, piece: string, first: boolean, finish: FinishReason | null): string {
  if (meta.kind === 'chat') {
    const delta = first ? { role: 'assistant', content: piece } : { content: piece };
    return JSON.stringify({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  }
  return JSON.stringify({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text: piece, logprobs: null, finish_reason: finish }],
  });
}

/** The final usage chunk sent when `stream_options.include_usage` is set: no choices, just usage. */
export function usageChunk(meta: ResponseMeta, usage: Usage): string {
  return JSON.stringify({
    id: meta.id,
    object: meta.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [],
    usage,
  });
}

/** The whole non-streaming response. */
export function completionBody(meta: ResponseMeta, text: string, finish: FinishReason, usage: Usage): string {
  if (meta.kind === 'chat') {
    return JSON.stringify({
      id: meta.id,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish }],
      usage,
    });
  }
  return JSON.stringify({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    usage,
  });
}

/** Embedding vectors as numbers, or (encoding "base64") as base64 of their little-endian float32 bytes. */
export function embeddingsBody(model: string, vectors: number[][], promptTokens: number, encoding: 'float' | 'base64' = 'float'): string {
  const encode = (v: number[]) => (encoding === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
  return JSON.stringify({
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: encode(v) })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}

export function modelsBody(model: string, created: number): string {
  return JSON.stringify({
    object: 'list',
    data: [{ id: model, object: 'model', created, owned_by: 'inferscale-sim', root: model, parent: null }],
  });
}

export function errorBody(message: string, type: string, code: string, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}
