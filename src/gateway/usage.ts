/**
 * Token usage read from an engine's answer, whatever the order of its fields: vLLM's `UsageInfo` is
 * prompt_tokens, total_tokens, completion_tokens, prompt_tokens_details; SGLang's and OpenAI's differ.
 * The `usage` object is located by its key (an unescaped `"usage"` can only be a key: inside a JSON
 * string the quotes are escaped), cut out with a string-aware brace match, and parsed as JSON.
 */
export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
}

/** a non-streamed answer's usage is near its end: only this much of the tail is searched first */
const TAIL = 64 * 1024;
/** a `usage` object larger than this is not one */
const MAX_USAGE = 16 * 1024;
const KEY = Buffer.from('"usage"');

/** The last `usage` object in `buf` (searched from the end; the tail first), or undefined. */
export function lastUsage(buf: Buffer, maxScan = 1 << 20): Usage | undefined {
  const from = Math.max(0, buf.length - maxScan);
  const tailFrom = Math.max(from, buf.length - TAIL);
  return usageBefore(buf, tailFrom, buf.length) ?? (tailFrom > from ? usageBefore(buf, from, tailFrom + KEY.length + MAX_USAGE) : undefined);
}

function usageBefore(buf: Buffer, from: number, end: number): Usage | undefined {
  let i = buf.lastIndexOf(KEY, Math.min(end, buf.length) - KEY.length);
  while (i >= from) {
    const u = usageAt(buf, i + KEY.length);
    if (u) return u;
    i = i > 0 ? buf.lastIndexOf(KEY, i - 1) : -1;
  }
  return undefined;
}

/** The usage object whose value starts after the key ending at `at` (`: {...}`); undefined when null or not one. */
function usageAt(buf: Buffer, at: number): Usage | undefined {
  let i = at;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  if (buf[i++] !== 0x3a) return undefined; // ':'
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  if (buf[i] !== 0x7b) return undefined; // '{'
  const end = objectEnd(buf, i, Math.min(buf.length, i + MAX_USAGE));
  if (end < 0) return undefined;
  try {
    const u = JSON.parse(buf.toString('utf8', i, end)) as Record<string, unknown>;
    const p = u.prompt_tokens;
    const c = u.completion_tokens;
    const out: Usage = {};
    if (typeof p === 'number' && p >= 0) out.promptTokens = p;
    if (typeof c === 'number' && c >= 0) out.completionTokens = c;
    return out.promptTokens === undefined && out.completionTokens === undefined ? undefined : out;
  } catch {
    return undefined;
  }
}

/** The index just past the object starting at `start` (a '{'), skipping strings; -1 if it does not end before `limit`. */
function objectEnd(buf: Buffer, start: number, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < limit; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

const EVENT_END = Buffer.from('\n\n');
const USAGE_ONLY_RE = /"choices"\s*:\s*\[\s*\]/;
/** an unfinished event held longer than this is passed through as it is (and never stripped) */
const MAX_CARRY = 1 << 20;

/**
 * Reads an SSE stream's usage and, when `strip` is set, drops the usage-only event (`"choices": []` with
 * `usage`) that `stream_options.include_usage` (added by the gateway, not asked for by the client) makes
 * the engine send. Without `strip`, chunks pass through untouched and only the last two are kept to read
 * usage from at the end. With it, whole events are forwarded (a partial one waits for its end).
 */
export class StreamUsage {
  private prev?: Buffer;
  private last?: Buffer;
  private carry?: Buffer;
  private usage?: Usage;

  constructor(private readonly strip: boolean) {}

  /** The bytes to send the client for this chunk (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (!this.strip) {
      this.prev = this.last;
      this.last = chunk;
      return chunk;
    }
    const carry = this.carry;
    if (!carry && chunk.indexOf(KEY) < 0 && endsWithEvent(chunk)) return chunk;
    const data = carry ? Buffer.concat([carry, chunk]) : chunk;
    const cut = data.lastIndexOf(EVENT_END);
    if (cut < 0) {
      if (data.length > MAX_CARRY) {
        this.carry = undefined;
        return data;
      }
      this.carry = data;
      return EMPTY;
    }
    this.carry = cut + 2 < data.length ? data.subarray(cut + 2) : undefined;
    return this.dropUsageEvents(data.subarray(0, cut + 2));
  }

  /** What is left to send at the stream's end (an unfinished last event). */
  end(): Buffer {
    const rest = this.carry ?? EMPTY;
    this.carry = undefined;
    return rest;
  }

  /** The stream's usage: the last event that carried one. */
  result(): Usage | undefined {
    if (this.strip) return this.usage;
    if (!this.last) return undefined;
    return lastUsage(this.prev ? Buffer.concat([this.prev, this.last]) : this.last);
  }

  private dropUsageEvents(events: Buffer): Buffer {
    let k = events.indexOf(KEY);
    if (k < 0) return events;
    const parts: Buffer[] = [];
    let from = 0;
    while (k >= 0) {
      const start = k >= 2 ? events.lastIndexOf(EVENT_END, k) : -1;
      const evStart = start < 0 ? 0 : start + 2;
      const e = events.indexOf(EVENT_END, k);
      const evEnd = e < 0 ? events.length : e + 2;
      const u = usageAt(events, k + KEY.length);
      if (u) {
        this.usage = u;
        if (USAGE_ONLY_RE.test(events.toString('latin1', evStart, evEnd))) {
          parts.push(events.subarray(from, evStart));
          from = evEnd;
        }
      }
      k = events.indexOf(KEY, evEnd);
    }
    if (from === 0) return events;
    parts.push(events.subarray(from));
    return Buffer.concat(parts);
  }
}

const EMPTY = Buffer.alloc(0);

function endsWithEvent(chunk: Buffer): boolean {
  const n = chunk.length;
  return n >= 2 && chunk[n - 1] === 0x0a && chunk[n - 2] === 0x0a;
}
