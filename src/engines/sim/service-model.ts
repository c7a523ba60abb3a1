/**
 * The service model of the engine simulator: how long a replica takes to prefill a prompt and to emit
 * each output token, given its load. Pure functions, no I/O, no clock; randomness comes in as
 * `rand: () => number` returning values in [0, 1). The live sim server and the discrete-event simulator
 * both use these, so they agree on timing.
 *
 * Everywhere below, `running` is the number of sequences running on the replica INCLUDING the one being
 * timed (so a lone request has running = 1, and pays no slowdown).
 */
import type { SimEngineParams } from './params.js';

/**
 * Approximate token count: every maximal run of letters, digits or `_` is one token, and every other
 * non-space character (punctuation, symbols, emoji) is one token. Whitespace is free. Non-empty text
 * (even whitespace only) counts at least 1; the empty string counts 0.
 * "Hello, world!" -> 4 ("Hello" "," "world" "!").
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  const n = text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu)?.length ?? 0;
  return Math.max(1, n);
}

/** Tokens of framing per chat message (role markers, separators), as chat templates add. */
export const CHAT_MESSAGE_OVERHEAD_TOKENS = 4;

/** A chat message as OpenAI clients send it: content is a string, an array of parts, or null. */
export interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
}

/** The text of a message's content: a string, or the concatenated `text` of its parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
      out += (out ? ' ' : '') + (part as { text: string }).text;
    }
  }
  return out;
}

/**
 * Prompt tokens of a chat request: for each message, countTokens of its content text plus
 * CHAT_MESSAGE_OVERHEAD_TOKENS for the role and template framing. At least 1.
 */
export function promptTokensOfChat(messages: readonly ChatMessageLike[]): number {
  let n = 0;
  for (const m of messages) {
    n += CHAT_MESSAGE_OVERHEAD_TOKENS + countTokens(contentText(m.content));
  }
  return Math.max(1, n);
}

/**
 * Prompt tokens of a completions request. A string array counts as the sum of its items (the sim serves
 * it as one sequence). At least 1 (a real engine always feeds at least a BOS token).
 */
export function promptTokensOfCompletion(prompt: string | readonly string[]): number {
  const items = typeof prompt === 'string' ? [prompt] : prompt;
  let n = 0;
  for (const p of items) n += countTokens(p);
  return Math.max(1, n);
}

/** Step-time multiplier from batching: 1 + slowdownPerSeq * max(0, running - 1). */
export function slowdownFactor(running: number, p: SimEngineParams): number {
  return 1 + p.slowdownPerSeq * Math.max(0, running - 1);
}

/** Noise multiplier: 1 + jitter * (2 * rand() - 1), i.e. uniform in [1 - jitter, 1 + jitter). Never negative. */
export function jitterFactor(p: SimEngineParams, rand: () => number): number {
  if (p.jitter === 0) return 1;
  return Math.max(0, 1 + p.jitter * (2 * rand() - 1));
}

/** Time to first token once the request runs: (ttftMs + prefillMsPerToken * promptTokens) * slowdown * jitter. */
export function prefillMs(promptTokens: number, running: number, p: SimEngineParams, rand: () => number): number {
  return (p.ttftMs + p.prefillMsPerToken * promptTokens) * slowdownFactor(running, p) * jitterFactor(p, rand);
}

/** Time from one output token to the next: itlMs * slowdown * jitter. */
export function interTokenMs(running: number, p: SimEngineParams, rand: () => number): number {
  return p.itlMs * slowdownFactor(running, p) * jitterFactor(p, rand);
}

/**
 * Expected time from the start of running to the last token, without jitter, assuming the load
 * (`running`) stays the same: prefill (which yields the first token), then one inter-token gap per
 * further token. Excludes time spent waiting for a slot. 0 completion tokens -> prefill only.
 */
export function expectedServiceMs(promptTokens: number, completionTokens: number, running: number, p: SimEngineParams): number {
  const gaps = Math.max(0, completionTokens - 1);
  return expectedTtftMs(promptTokens, running, p) + gaps * p.itlMs * slowdownFactor(running, p);
}

/** Expected time to first token without jitter (excludes waiting), for planners. */
export function expectedTtftMs(promptTokens: number, running: number, p: SimEngineParams): number {
  return (p.ttftMs + p.prefillMsPerToken * promptTokens) * slowdownFactor(running, p);
}
