/**
 * POST /v1/chat/completions and /v1/completions: validate, admit through the scheduler (503 when the
 * waiting queue is full), then emit filler tokens on the service model's clock, as SSE or as one JSON
 * body. A client that goes away (response `close` before the end) aborts generation and frees its slot.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import { Generation, type TokenSink } from './generation.js';
import { readBody, sendJson } from './http-io.js';
import type { SimCounters } from './metrics.js';
import { OpenAIError, parseChatRequest, parseCompletionRequest, parseJsonBody, type GenerationRequest } from './openai-requests.js';
import { completionBody, SSE_DONE, sseData, tokenChunk, usageChunk, usageOf, type CompletionKind, type ResponseMeta } from './openai-responses.js';
import type { SimEngineParams } from './params.js';
import type { SchedulerTicket, SimScheduler } from './scheduler.js';
import { fillerPiece, fillerText } from './synthetic-output.js';

/** What the routes share with the server. */
export interface SimContext {
  params: SimEngineParams;
  modelName: string;
  clock: Clock;
  rand: () => number;
  scheduler: SimScheduler;
  counters: SimCounters;
  loaded(): boolean;
  draining(): boolean;
  /** A fresh response id with the given prefix, e.g. "chatcmpl". */
  newId(prefix: string): string;
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/** Throws the 503 for a replica that cannot take generation work now (loading or shutting down). */
export function assertServing(ctx: SimContext): void {
  if (!ctx.loaded()) {
    throw new OpenAIError(503, `model ${ctx.modelName} is still loading`, 'server_error', 'model_loading');
  }
  if (ctx.draining()) throw new OpenAIError(503, 'engine is shutting down', 'server_error', 'engine_draining');
}

export async function handleCompletion(ctx: SimContext, req: IncomingMessage, res: ServerResponse, kind: CompletionKind): Promise<void> {
  let gone = false;
  let onGone: (() => void) | undefined;
  res.once('close', () => {
    gone = true;
    onGone?.();
  });
  assertServing(ctx);
  const body = parseJsonBody(await readBody(req));
  const r = kind === 'chat' ? parseChatRequest(body, ctx.params) : parseCompletionRequest(body, ctx.params);
  if (gone) return;

  const meta: ResponseMeta = {
    id: ctx.newId(kind === 'chat' ? 'chatcmpl' : 'cmpl'),
    created: Math.floor(ctx.clock.now() / 1000),
    model: ctx.modelName,
    kind,
  };
  let finished = false;
  let generation: Generation | undefined;
  const ticket = ctx.scheduler.admit((t) => {
    generation = startGeneration(ctx, res, r, meta, t, () => (finished = true));
  });
  if (!ticket) {
    ctx.counters.rejected++;
    throw new OpenAIError(
      503,
      `engine overloaded: ${ctx.scheduler.running} running and ${ctx.scheduler.waiting} waiting (max_waiting ${ctx.params.maxWaiting})`,
      'server_error',
      'engine_overloaded',
    );
  }
  onGone = () => {
    if (finished) return;
    finished = true;
    ctx.counters.aborted++;
    generation?.cancel();
    ticket.release();
  };
  if (r.stream) {
    // headers go out at once, so clients see the request accepted even while it waits for a slot
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
  }
}

function startGeneration(
  ctx: SimContext,
  res: ServerResponse,
  r: GenerationRequest,
  meta: ResponseMeta,
  ticket: SchedulerTicket,
  markFinished: () => void,
): Generation {
  const finish = r.maxTokensGiven ? 'length' : 'stop';
  const leadingSpace = r.kind === 'completion';
  const counters = ctx.counters;
  const sink: TokenSink = r.stream
    ? {
        token(i, last) {
          counters.generationTokens++;
          let data = sseData(tokenChunk(meta, fillerPiece(i, leadingSpace), i === 0, last ? finish : null));
          if (last) {
            if (r.includeUsage) data += sseData(usageChunk(meta, usageOf(r.promptTokens, r.maxTokens)));
            data += SSE_DONE;
          }
          return res.write(data);
        },
        onDrain: (cb) => res.once('drain', cb),
      }
    : {
        token() {
          counters.generationTokens++;
          return true;
        },
        onDrain: (cb) => cb(),
      };
  const g = new Generation({
    clock: ctx.clock,
    params: ctx.params,
    rand: ctx.rand,
    promptTokens: r.promptTokens,
    outputTokens: r.maxTokens,
    running: () => ctx.scheduler.running,
    sink,
    onPrefilled: () => (counters.promptTokens += r.promptTokens),
    onComplete: () => {
      markFinished();
      ticket.release();
      counters.success[finish]++;
      if (r.stream) res.end();
      else {
        const text = fillerText(r.maxTokens, leadingSpace);
        sendJson(res, 200, completionBody(meta, text, finish, usageOf(r.promptTokens, r.maxTokens)));
      }
    },
  });
  g.start();
  return g;
}
