/**
 * POST /v1/embeddings for the llama.cpp engine: the request bounds (inputs per request, characters in all)
 * and their 400 errors. The vectors come from the runtime's embedding context (runtime.ts).
 */
import { OpenAIError } from '../sim/openai-requests.js';

/** Inputs one request may carry. */
export const MAX_EMBEDDING_INPUTS = 256;
/** Characters of all inputs of one request together. */
export const MAX_EMBEDDING_CHARS = 200_000;

export interface EmbeddingsInput {
  inputs: string[];
  /** 'base64': little-endian float32 bytes, base64 (what the official OpenAI client asks for). */
  encodingFormat: 'float' | 'base64';
}

const bad = (param: string, code: string, message: string) => new OpenAIError(400, message, 'invalid_request_error', code, param);

export function parseEmbeddings(body: Record<string, unknown>): EmbeddingsInput {
  const input = body.input;
  const inputs: unknown[] = typeof input === 'string' ? [input] : Array.isArray(input) ? input : [];
  if (inputs.length === 0) throw bad('input', 'invalid_value', 'input is required: a string or a non-empty array of strings');
  if (inputs.length > MAX_EMBEDDING_INPUTS)
    throw bad('input', 'input_too_many_items', `input has ${inputs.length} items; at most ${MAX_EMBEDDING_INPUTS} per request`);
  let chars = 0;
  for (const x of inputs) {
    if (typeof x !== 'string') throw bad('input', 'invalid_value', 'input items must be strings (token-id inputs are not supported by the llamacpp engine)');
    if (x === '') throw bad('input', 'invalid_value', 'input items must not be empty');
    chars += x.length;
  }
  if (chars > MAX_EMBEDDING_CHARS) throw bad('input', 'input_too_long', `input has ${chars} characters in all; at most ${MAX_EMBEDDING_CHARS} per request`);
  const fmt = body.encoding_format ?? 'float';
  if (fmt !== 'float' && fmt !== 'base64') throw bad('encoding_format', 'invalid_value', 'encoding_format must be "float" or "base64"');
  return { inputs: inputs as string[], encodingFormat: fmt };
}
