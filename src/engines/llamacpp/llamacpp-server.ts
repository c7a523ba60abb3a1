/**
 * The llama.cpp engine's HTTP server: the engine simulator's endpoints on a real model. GET /health
 * (503 until the model is loaded), GET /v1/models, GET /metrics (vLLM gauge names), POST
 * /v1/chat/completions and /v1/completions (streaming or not). Generation goes through a LlamaRuntime,
 * so tests can drive the server with a fake one. Sleep mode (sleep.ts, where `load` is given): POST /sleep?level=1
 * unloads the model, POST /wake_up loads it again, GET /is_sleeping.
 */
import { engineKeyCheck } from '../engine-key.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readBody, sendError, sendJson, sendText } from '../sim/http-io.js';
import { escapeLabelValue, PROMETHEUS_CONTENT_TYPE } from '../sim/metrics.js';
import { OpenAIError, parseJsonBody } from '../sim/openai-requests.js';
import { embeddingsBody, SSE_DONE, sseData, usageOf } from '../sim/openai-responses.js';
import { parseEmbeddings } from './embeddings.js';
import type { LlamaCppParams } from './params.js';
import { parseChat, parseCompletion, type GenerateInput, type Sampling } from './requests.js';
import { body, chunk, modelsList, usageChunk, type Finish, type Meta } from './responses.js';
import { Slots } from './slots.js';
import { LlamaSleep } from './sleep.js';
import type { LlamaRuntime } from './runtime-contract.js';

export type { GenerateResult, LlamaRuntime } from './runtime-contract.js';

export interface LlamaServerOptions {
  modelName: string;
  params: LlamaCppParams;
  log?: (line: string) => void;
  /** requests other than /health and /metrics must carry `Authorization: Bearer <apiKey>` (engine-key.ts); none: open */
  apiKey?: string;
  /** loads the model again after a sleep (sleep.ts); absent: the engine has no sleep mode (404) */
  load?: () => Promise<LlamaRuntime>;
}

const SSE_HEADERS = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' };

export function createLlamaServer(o: LlamaServerOptions) {
  const log = o.log ?? (() => {});
  const checkKey = engineKeyCheck(o.apiKey);
  const slots = new Slots(o.params.parallel, o.params.maxWaiting);
  const c = { prompt: 0, generation: 0, stop: 0, length: 0, aborted: 0 };
  const created = Math.floor(Date.now() / 1000);
  const prefix = randomBytes(4).toString('hex');
  let seq = 0;
  let runtime: LlamaRuntime | undefined;
  let draining = false;
  let active = 0;
  const idle: Array<() => void> = [];
  const sleep = o.load
    ? new LlamaSleep({
        runtime: () => runtime,
        setRuntime: (rt) => {
          runtime = rt;
        },
        load: o.load,
        busy: () => slots.running + slots.waiting,
        log,
      })
    : undefined;
  /** the 503 of a model that is not loaded: asleep or waking (sleep.ts), else still loading */
  const notLoaded = () =>
    sleep && sleep.state !== 'awake'
      ? new OpenAIError(503, `model ${o.modelName} is ${sleep.state === 'asleep' ? 'asleep' : 'waking up'}`, 'server_error', 'model_sleeping')
      : new OpenAIError(503, `model ${o.modelName} is still loading`, 'server_error', 'model_loading');

  const metrics = () => {
    const m = `model_name="${escapeLabelValue(o.modelName)}"`;
    const rows: [string, string, string, [string, number][]][] = [
      ['vllm:num_requests_running', 'gauge', 'Number of requests currently running.', [[m, slots.running]]],
      ['vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', [[m, slots.waiting]]],
      // each parallel sequence holds its own share of the context: the share of sequences in use
      [
        'vllm:kv_cache_usage_perc',
        'gauge',
        'KV-cache usage. 1 means 100 percent usage (sequences in use / --parallel).',
        [[m, slots.running / o.params.parallel]],
      ],
      ['vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', [[m, c.prompt]]],
      ['vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.', [[m, c.generation]]],
      [
        'vllm:request_success_total',
        'counter',
        'Count of successfully processed requests.',
        [
          [`finished_reason="length",${m}`, c.length],
          [`finished_reason="stop",${m}`, c.stop],
        ],
      ],
      ['inferscale_llamacpp_aborted_total', 'counter', 'Generations aborted because the client went away.', [[m, c.aborted]]],
    ];
    return `${rows
      .flatMap(([name, type, help, samples]) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([l, v]) => `${name}{${l}} ${v}`)])
      .join('\n')}\n`;
  };

  async function complete(req: http.IncomingMessage, res: http.ServerResponse, kind: 'chat' | 'completion'): Promise<void> {
    const rt = runtime;
    if (!rt) throw notLoaded();
    if (draining) throw new OpenAIError(503, 'engine is shutting down', 'server_error', 'engine_draining');
    const json = parseJsonBody(await readBody(req));
    const r = kind === 'chat' ? parseChat(json, rt.contextSize, o.params.defaultMaxTokens) : parseCompletion(json, rt.contextSize, o.params.defaultMaxTokens);
    const ac = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const granted = slots.acquire(ac.signal);
    const meta: Meta = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${prefix}${(seq++).toString(36)}`,
      created: Math.floor(Date.now() / 1000),
      model: o.modelName,
      kind,
    };
    if (r.stream) {
      res.writeHead(200, SSE_HEADERS);
      res.flushHeaders();
    }
    let release: (() => void) | undefined;
    try {
      release = await granted;
      let first = true;
      const out = await rt.generate(r, {
        signal: ac.signal,
        onText: (t) => {
          if (!r.stream || t === '' || res.destroyed) return;
          res.write(sseData(chunk(meta, t, { first })));
          first = false;
        },
      });
      c.prompt += out.promptTokens;
      c.generation += out.completionTokens;
      if (ac.signal.aborted) {
        c.aborted++;
        return;
      }
      c[out.finish]++;
      const usage = usageOf(out.promptTokens, out.completionTokens);
      if (!r.stream) return sendJson(res, 200, body(meta, out.text, out.finish, usage));
      let tail = first ? sseData(chunk(meta, '', { first: true })) : '';
      tail += sseData(chunk(meta, '', { finish: out.finish }));
      if (r.includeUsage) tail += sseData(usageChunk(meta, usage));
      res.end(tail + SSE_DONE);
    } catch (e) {
      if (ac.signal.aborted) {
        c.aborted++;
        return;
      }
      throw e;
    } finally {
      release?.();
    }
  }

  async function embeddings(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rt = runtime;
    if (!rt) throw notLoaded();
    if (draining) throw new OpenAIError(503, 'engine is shutting down', 'server_error', 'engine_draining');
    const e = parseEmbeddings(parseJsonBody(await readBody(req)));
    const out = await rt.embed(e.inputs);
    c.prompt += out.promptTokens;
    sendJson(res, 200, embeddingsBody(o.modelName, out.vectors, out.promptTokens, e.encodingFormat));
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    checkKey(req, path);
    const method = req.method ?? 'GET';
    const want = (m: string) => {
      if (method !== m) throw new OpenAIError(405, `${method} not allowed on ${path}`, 'invalid_request_error', 'method_not_allowed');
    };
    if (sleep && (await sleep.route(method, path, new URL(req.url ?? '/', 'http://x').searchParams, res))) return;
    switch (path) {
      case '/health': {
        want('GET');
        // asleep is healthy (vLLM's /health says 200 too): the process lives and wakes on request
        const status = draining ? 'draining' : runtime ? 'ok' : sleep && sleep.state !== 'awake' ? 'sleeping' : 'loading';
        if (status === 'sleeping') return sendJson(res, 200, JSON.stringify({ status }));
        return sendJson(res, status === 'ok' ? 200 : 503, JSON.stringify({ status }));
      }
      case '/v1/models':
        want('GET');
        return sendJson(res, 200, modelsList(o.modelName, created));
      case '/metrics':
        want('GET');
        return sendText(res, 200, PROMETHEUS_CONTENT_TYPE, metrics());
      case '/v1/chat/completions':
        want('POST');
        return complete(req, res, 'chat');
      case '/v1/completions':
        want('POST');
        return complete(req, res, 'completion');
      case '/v1/embeddings':
        want('POST');
        return embeddings(req, res);
      default:
        throw new OpenAIError(404, `no route ${method} ${path}`, 'invalid_request_error', 'not_found');
    }
  }

  const server = http.createServer({ noDelay: true }, (req, res) => {
    active++;
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      if (path !== '/health' && path !== '/metrics')
        log(`${req.method} ${path} ${res.statusCode} ${Date.now() - started}ms${res.writableFinished ? '' : ' aborted'}`);
      if (--active === 0) for (const w of idle.splice(0)) w();
    });
    route(req, res, path).catch((err: unknown) => {
      if (res.destroyed || res.writableEnded) return;
      if (res.headersSent) res.destroy();
      else sendError(res, err);
    });
  });

  return {
    server,
    /** The model is loaded: /health turns 200 and generation starts. */
    setRuntime(rt: LlamaRuntime) {
      runtime = rt;
    },
    /** the loaded model now (undefined while loading or asleep) */
    runtime: () => runtime,
    state: () => ({
      loaded: !!runtime,
      sleep: sleep?.state ?? 'awake',
      draining,
      running: slots.running,
      waiting: slots.waiting,
      activeRequests: active,
      ...c,
    }),
    /** Refuses new generation work and resolves once no request is in flight. */
    drain(): Promise<void> {
      draining = true;
      return active === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
  };
}
export type LlamaServer = ReturnType<typeof createLlamaServer>;
