/**
 * The engine simulator's HTTP server: an OpenAI-compatible stand-in for one vLLM replica (like llm-d's
 * inference-sim), on node:http only so thousands of open streams stay cheap. All timing goes through the
 * injected clock: loading (startupSeconds after creation), prefill and inter-token delays.
 *
 * Endpoints: GET /health, GET /v1/models, POST /v1/chat/completions, POST /v1/completions,
 * POST /v1/embeddings, GET /metrics; sleep mode (sleep.ts): POST /sleep?level=1, POST /wake_up, GET /is_sleeping.
 */
import { engineKeyCheck } from '../engine-key.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Clock, Timer } from '../../core/clock.js';
import { assertServing, handleCompletion, type SimContext } from './completion-route.js';
import { readBody, sendError, sendJson, sendText } from './http-io.js';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, SimCounters } from './metrics.js';
import { OpenAIError, parseEmbeddingRequest, parseJsonBody } from './openai-requests.js';
import { embeddingsBody, modelsBody } from './openai-responses.js';
import type { SimEngineParams } from './params.js';
import { SimScheduler } from './scheduler.js';
import { SimSleep } from './sleep.js';
import { embeddingOf } from './synthetic-output.js';

export interface SimServerOptions {
  params: SimEngineParams;
  /** The served model name (echoed in responses; the request's `model` is not checked). */
  modelName: string;
  clock: Clock;
  /** Randomness for jitter, values in [0, 1). Default Math.random. */
  rand?: () => number;
  /** Receives one line per finished request ("POST /v1/completions 200 12ms") and lifecycle lines. */
  log?: (line: string) => void;
  /** requests other than /health and /metrics must carry `Authorization: Bearer <apiKey>` (engine-key.ts); none: open */
  apiKey?: string;
}

export interface SimServerState {
  loaded: boolean;
  draining: boolean;
  running: number;
  waiting: number;
  /** HTTP requests of any kind not yet closed. */
  activeRequests: number;
  promptTokens: number;
  generationTokens: number;
  completed: number;
  aborted: number;
  rejected: number;
}

export interface SimServer {
  /** Not listening yet: call `server.listen(port, host)`. */
  server: http.Server;
  /** Marks the model loaded now (normally happens by itself startupSeconds after creation). */
  markLoaded(): void;
  state(): SimServerState;
  /**
   * Starts shutting down: generation requests arriving from now on get 503 `engine_draining`, /health
   * says "draining", responses ask for `Connection: close`. Resolves when no request is in flight.
   * Does not close the listener: call `server.close()` as well.
   */
  drain(): Promise<void>;
}

export function createSimServer(opts: SimServerOptions): SimServer {
  const { params, modelName, clock } = opts;
  const log = opts.log ?? (() => {});
  const checkKey = engineKeyCheck(opts.apiKey);
  const createdAt = clock.now();
  let loaded = false;
  let draining = false;
  let loadTimer: Timer | undefined;
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const idPrefix = randomBytes(4).toString('hex');
  let idSeq = 0;

  const counters = new SimCounters();
  const scheduler = new SimScheduler(params, clock);
  const sleep = new SimSleep(clock, params.wakeSeconds, params.sleepRamGib, log);
  const ctx: SimContext = {
    params,
    modelName,
    clock,
    rand: opts.rand ?? Math.random,
    scheduler,
    counters,
    loaded: () => loaded,
    draining: () => draining,
    newId: (prefix) => `${prefix}-${idPrefix}${(idSeq++).toString(36)}`,
  };

  const markLoaded = () => {
    loadTimer?.cancel();
    loadTimer = undefined;
    if (loaded) return;
    loaded = true;
    log(`model ${modelName} loaded after ${((clock.now() - createdAt) / 1000).toFixed(2)}s`);
  };
  if (params.startupSeconds > 0) loadTimer = clock.setTimeout(markLoaded, params.startupSeconds * 1000);
  else loaded = true;

  const requestDone = () => {
    active--;
    if (active === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  const server = http.createServer({ noDelay: true }, (req, res) => {
    active++;
    const started = clock.now();
    const path = (req.url ?? '/').split('?')[0];
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      const aborted = !res.writableFinished ? ' aborted' : '';
      log(`${req.method} ${path} ${res.statusCode} ${Math.round(clock.now() - started)}ms${aborted}`);
      requestDone();
    });
    route(req, res, path).catch((err: unknown) => {
      if (res.destroyed || res.writableEnded) return;
      if (res.headersSent) res.destroy();
      else sendError(res, err);
    });
  });

  server.on('close', () => {
    loadTimer?.cancel();
    sleep.close();
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    checkKey(req, path);
    const method = req.method ?? 'GET';
    const want = (m: string) => {
      if (method !== m) throw new OpenAIError(405, `${method} not allowed on ${path}`, 'invalid_request_error', 'method_not_allowed');
    };
    if (await sleep.route(method, path, new URL(req.url ?? '/', 'http://x').searchParams, res, scheduler.running + scheduler.waiting)) return;
    if (path.startsWith('/v1/') && path !== '/v1/models') sleep.assertAwake();
    switch (path) {
      case '/health': {
        want('GET');
        const status = draining ? 'draining' : loaded ? 'ok' : 'loading';
        return sendJson(res, status === 'ok' ? 200 : 503, JSON.stringify({ status }));
      }
      case '/v1/models':
        want('GET');
        return sendJson(res, 200, modelsBody(modelName, Math.floor(createdAt / 1000)));
      case '/metrics': {
        want('GET');
        const snap = { modelName, running: scheduler.running, waiting: scheduler.waiting, maxNumSeqs: params.maxNumSeqs, counters };
        return sendText(res, 200, PROMETHEUS_CONTENT_TYPE, renderMetrics(snap));
      }
      case '/v1/chat/completions':
        want('POST');
        return handleCompletion(ctx, req, res, 'chat');
      case '/v1/completions':
        want('POST');
        return handleCompletion(ctx, req, res, 'completion');
      case '/v1/embeddings': {
        want('POST');
        assertServing(ctx);
        const e = parseEmbeddingRequest(parseJsonBody(await readBody(req)));
        counters.promptTokens += e.promptTokens;
        return sendJson(res, 200, embeddingsBody(modelName, e.inputs.map(embeddingOf), e.promptTokens, e.encodingFormat));
      }
      default:
        throw new OpenAIError(404, `no route ${method} ${path}`, 'invalid_request_error', 'not_found');
    }
  }

  return {
    server,
    markLoaded,
    state: () => ({
      loaded,
      draining,
      running: scheduler.running,
      waiting: scheduler.waiting,
      activeRequests: active,
      promptTokens: counters.promptTokens,
      generationTokens: counters.generationTokens,
      completed: counters.success.stop + counters.success.length,
      aborted: counters.aborted,
      rejected: counters.rejected,
    }),
    drain() {
      draining = true;
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
