/**
 * Validation of OpenAI-style request bodies for the simulator. Errors are OpenAIError values, which the
 * server turns into `{"error":{"message","type","param","code"}}` bodies with the given HTTP status.
 */
import type { SimEngineParams } from './params.js';
import { countTokens, promptTokensOfChat, promptTokensOfCompletion, type ChatMessageLike } from './service-model.js';

/** The highest max_tokens the sim accepts (its pretend context window). */
export const MAX_TOKENS_LIMIT = 32768;

export class OpenAIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'OpenAIError';
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const badRequest = (param: string, message: string): OpenAIError => new OpenAIError(400, message, 'invalid_request_error', 'invalid_value', param);

export interface GenerationRequest {
  kind: 'chat' | 'completion';
  promptTokens: number;
  /** Output tokens to produce. */
  maxTokens: number;
  /** Whether the client set the limit (finish_reason "length") or the default applied ("stop"). */
  maxTokensGiven: boolean;
  stream: boolean;
  includeUsage: boolean;
}

type Body = Record<string, unknown>;

/** Parses a JSON object body; anything else is a 400. */
export function parseJsonBody(text: string): Body {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw badRequest('body', 'request body is not valid JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('body', 'request body must be a JSON object');
  return v as Body;
}

function optionalBoolean(body: Body, field: string): boolean {
  const v = body[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw badRequest(field, `${field} must be a boolean`);
  return v;
}

function maxTokensOf(body: Body, p: SimEngineParams): { maxTokens: number; maxTokensGiven: boolean } {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_TOKENS_LIMIT) {
      throw badRequest(field, `${field} must be an integer between 1 and ${MAX_TOKENS_LIMIT}, got ${JSON.stringify(v)}`);
    }
    return { maxTokens: v, maxTokensGiven: true };
  }
  return { maxTokens: p.defaultMaxTokens, maxTokensGiven: false };
}

function common(body: Body, p: SimEngineParams): Omit<GenerationRequest, 'kind' | 'promptTokens'> {
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) throw badRequest('n', 'n must be 1 (the simulator returns one choice)');
  const stream = optionalBoolean(body, 'stream');
  let includeUsage = false;
  const so = body.stream_options;
  if (so !== undefined && so !== null) {
    if (typeof so !== 'object' || Array.isArray(so)) throw badRequest('stream_options', 'stream_options must be an object');
    includeUsage = optionalBoolean(so as Body, 'include_usage');
  }
  return { ...maxTokensOf(body, p), stream, includeUsage };
}

export function parseChatRequest(body: Body, p: SimEngineParams): GenerationRequest {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest('messages', 'messages is required and must be a non-empty array');
  }
  messages.forEach((m, i) => {
    if (!m || typeof m !== 'object' || typeof (m as ChatMessageLike).role !== 'string') {
      throw badRequest(`messages[${i}]`, `messages[${i}] must be an object with a string role`);
    }
    const c = (m as ChatMessageLike).content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) {
      throw badRequest(`messages[${i}].content`, `messages[${i}].content must be a string or an array of parts`);
    }
  });
  return { kind: 'chat', promptTokens: promptTokensOfChat(messages as ChatMessageLike[]), ...common(body, p) };
}

const isTokenArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

/** Prompt tokens of a `prompt`/`input` value: string, string[], token ids (number[]) or number[][]. */
function tokensOfPromptValue(field: string, v: unknown): number {
  if (typeof v === 'string') return promptTokensOfCompletion(v);
  if (Array.isArray(v) && v.length > 0) {
    if (v.every((x) => typeof x === 'string')) return promptTokensOfCompletion(v as string[]);
    if (isTokenArray(v)) return v.length;
    if (v.every(isTokenArray)) return v.reduce((a, x) => a + x.length, 0);
  }
  throw badRequest(field, `${field} is required and must be a string, an array of strings, or token ids`);
}

export function parseCompletionRequest(body: Body, p: SimEngineParams): GenerationRequest {
  const promptTokens = Math.max(1, tokensOfPromptValue('prompt', body.prompt));
  return { kind: 'completion', promptTokens, ...common(body, p) };
}

export interface EmbeddingRequest {
  /** One text per input item (token-id inputs become their JSON text, for hashing). */
  inputs: string[];
  promptTokens: number;
  /** 'base64': little-endian float32 bytes, base64 (what the official OpenAI client asks for). */
  encodingFormat: 'float' | 'base64';
}

export function parseEmbeddingRequest(body: Body): EmbeddingRequest {
  const input = body.input;
  const items: unknown[] = typeof input === 'string' || isTokenArray(input) ? [input] : Array.isArray(input) ? input : [];
  if (items.length === 0) throw badRequest('input', 'input is required and must be a string or a non-empty array');
  let promptTokens = 0;
  const inputs = items.map((x) => {
    if (typeof x === 'string') {
      promptTokens += countTokens(x);
      return x;
    }
    if (isTokenArray(x)) {
      promptTokens += x.length;
      return JSON.stringify(x);
    }
    throw badRequest('input', 'input items must be strings or arrays of token ids');
  });
  const fmt = body.encoding_format ?? 'float';
  if (fmt !== 'float' && fmt !== 'base64') throw badRequest('encoding_format', 'encoding_format must be "float" or "base64"');
  return { inputs, promptTokens, encodingFormat: fmt };
}
