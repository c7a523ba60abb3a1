/**
 * OpenAI request bodies for the llama.cpp engine: chat messages and prompts become a GenerateRequest.
 * Errors are OpenAIError values (400 with the offending param).
 */
import { OpenAIError } from '../sim/openai-requests.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Sampling {
  maxTokens: number;
  maxTokensGiven: boolean;
  temperature: number;
  topP?: number;
  seed?: number;
  stop: string[];
}

export type GenerateInput = { kind: 'chat'; messages: ChatMessage[] } | { kind: 'completion'; prompt: string };

export type ParsedRequest = GenerateInput & Sampling & { stream: boolean; includeUsage: boolean };

type Body = Record<string, unknown>;
const bad = (param: string, message: string) => new OpenAIError(400, message, 'invalid_request_error', 'invalid_value', param);

function num(body: Body, field: string, min: number, max: number, integer = false): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(field, `${field} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function flag(body: Body, field: string): boolean {
  const v = body[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(field, `${field} must be a boolean`);
  return v;
}

function textOf(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((p, i) => {
        if (p && typeof p === 'object' && (p as Body).type === 'text' && typeof (p as Body).text === 'string') return (p as Body).text as string;
        throw bad(`${param}[${i}]`, `${param}[${i}]: only text parts are supported by the llamacpp engine`);
      })
      .join('');
  }
  throw bad(param, `${param} must be a string or an array of text parts`);
}

function sampling(body: Body, maxContext: number, defaultMaxTokens: number): Sampling & { stream: boolean; includeUsage: boolean } {
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw bad('n', 'n must be 1');
  const given = num(body, 'max_completion_tokens', 1, maxContext, true) ?? num(body, 'max_tokens', 1, maxContext, true);
  const stopRaw = body.stop;
  let stop: string[] = [];
  if (typeof stopRaw === 'string') stop = [stopRaw];
  else if (Array.isArray(stopRaw) && stopRaw.length <= 4 && stopRaw.every((s) => typeof s === 'string')) stop = stopRaw as string[];
  else if (stopRaw !== undefined && stopRaw !== null) throw bad('stop', 'stop must be a string or an array of at most 4 strings');
  const so = body.stream_options;
  if (so !== undefined && so !== null && (typeof so !== 'object' || Array.isArray(so))) throw bad('stream_options', 'stream_options must be an object');
  return {
    maxTokens: given ?? Math.min(defaultMaxTokens, maxContext),
    maxTokensGiven: given !== undefined,
    temperature: num(body, 'temperature', 0, 2) ?? 1,
    topP: num(body, 'top_p', 0, 1),
    seed: num(body, 'seed', 0, 2 ** 32 - 1, true),
    stop: stop.filter((s) => s !== ''),
    stream: flag(body, 'stream'),
    includeUsage: so ? flag(so as Body, 'include_usage') : false,
  };
}

const ROLES: Record<string, ChatMessage['role']> = { system: 'system', developer: 'system', user: 'user', tool: 'user', assistant: 'assistant' };

export function parseChat(body: Body, maxContext: number, defaultMaxTokens: number): ParsedRequest {
  const msgs = body.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) throw bad('messages', 'messages is required and must be a non-empty array');
  const messages = msgs.map((m, i): ChatMessage => {
    const role = m && typeof m === 'object' ? ROLES[String((m as Body).role)] : undefined;
    if (!role) throw bad(`messages[${i}].role`, `messages[${i}].role must be one of ${Object.keys(ROLES).join(', ')}`);
    return { role, content: textOf((m as Body).content, `messages[${i}].content`) };
  });
  return { kind: 'chat', messages, ...sampling(body, maxContext, defaultMaxTokens) };
}

export function parseCompletion(body: Body, maxContext: number, defaultMaxTokens: number): ParsedRequest {
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt !== 'string') throw bad('prompt', 'prompt is required and must be a string (one prompt per request)');
  return { kind: 'completion', prompt, ...sampling(body, maxContext, defaultMaxTokens) };
}
