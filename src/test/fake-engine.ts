/**
 * A fake vLLM or SGLang server for tests: it takes the real command lines
 * (`vllm serve MODEL --host H --port P --tensor-parallel-size N --served-model-name NAME... [--max-num-seqs N]`,
 * key in VLLM_API_KEY or `--api-key`; `python -m sglang.launch_server --model-path M --host H --port P --tp N
 * --served-model-name NAME --api-key K [--max-running-requests N]`) and answers as they do: `/health`,
 * `/v1/models`, `/metrics` with their metric names, and chat/completions with their JSON field order
 * (engine-answers.ts), streamed or not, with `stream_options.include_usage`.
 *
 * Its engine model: at most max-num-seqs (vLLM, default 256) or max-running-requests (SGLang) requests run
 * at once, the rest wait; each token takes FAKE_ENGINE_TOKEN_MS (default 2 ms); the KV cache use is the
 * running share of that limit. A request naming another model gets the engine's 404, one without the key a 401.
 *
 * Run as `node dist/test/fake-engine.js serve ...` or `node dist/test/fake-engine.js -m sglang.launch_server ...`
 * (the tests write a `vllm` / `python` shell script that execs it).
 */
import http from 'node:http';
import { chatAnswer, chatStream, usageInfo, type EngineFlavour } from './engine-answers.js';

const argv = process.argv.slice(2);
const flavour: EngineFlavour = argv[0] === 'serve' ? 'vllm' : 'sglang';

/** The values after `flag` up to the next flag (vLLM's --served-model-name takes several). */
function values(flag: string): string[] {
  const i = argv.indexOf(flag);
  if (i < 0) return [];
  const out: string[] = [];
  for (let j = i + 1; j < argv.length && !argv[j].startsWith('--'); j++) out.push(argv[j]);
  return out;
}
const one = (flag: string) => values(flag)[0];

const model = flavour === 'vllm' ? argv[1] : one('--model-path');
const names = values('--served-model-name').length ? values('--served-model-name') : [model];
const port = Number(one('--port'));
const host = one('--host') ?? '127.0.0.1';
const apiKey = one('--api-key') ?? (flavour === 'vllm' ? process.env.VLLM_API_KEY : undefined);
const maxRunning = Number(one(flavour === 'vllm' ? '--max-num-seqs' : '--max-running-requests') ?? 256);
const tokenMs = Number(process.env.FAKE_ENGINE_TOKEN_MS ?? 2);

let runningNow = 0;
const queue: (() => void)[] = [];
const running = () => runningNow;
const waiting = () => queue.length;

async function acquire(): Promise<void> {
  if (runningNow < maxRunning) runningNow++;
  else await new Promise<void>((r) => queue.push(r));
}

function release(): void {
  const next = queue.shift();
  if (next) next();
  else runningNow--;
}

function metrics(): string {
  const n = names[0];
  if (flavour === 'vllm') {
    const l = `{engine="0",model_name="${n}"}`;
    return [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running${l} ${running()}.0`,
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting${l} ${waiting()}.0`,
      '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
      '# TYPE vllm:kv_cache_usage_perc gauge',
      `vllm:kv_cache_usage_perc${l} ${running() / maxRunning}`,
      '',
    ].join('\n');
  }
  const l = `{model_name="${n}",engine_type="unified",tp_rank="0",pp_rank="0"}`;
  return [
    '# HELP sglang:num_running_reqs The number of running requests.',
    '# TYPE sglang:num_running_reqs gauge',
    `sglang:num_running_reqs${l} ${running()}.0`,
    '# HELP sglang:num_queue_reqs The number of requests in the waiting queue.',
    '# TYPE sglang:num_queue_reqs gauge',
    `sglang:num_queue_reqs${l} ${waiting()}.0`,
    '# HELP sglang:token_usage The token usage.',
    '# TYPE sglang:token_usage gauge',
    `sglang:token_usage${l} ${running() / maxRunning}`,
    '',
  ].join('\n');
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

function notFound(res: http.ServerResponse, name: unknown): void {
  if (flavour === 'vllm')
    json(res, 404, { error: { message: `The model \`${String(name)}\` does not exist.`, type: 'NotFoundError', param: 'model', code: 404 } });
  else json(res, 400, { object: 'error', message: `The model \`${String(name)}\` does not exist.`, type: 'BadRequestError', param: null, code: 400 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function generate(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return json(res, 400, { error: { message: 'invalid JSON', type: 'BadRequestError', param: null, code: 400 } });
  }
  if (!names.includes(body.model as string)) return notFound(res, body.model);
  const prompt = Math.max(1, Math.ceil((body.messages ? JSON.stringify(body.messages) : String(body.prompt ?? '')).length / 4));
  const n = Number(body.max_tokens ?? body.max_completion_tokens ?? 16);
  const tokens = Array.from({ length: n }, (_, i) => ` t${i}`);
  let gone = false;
  res.once('close', () => (gone = true));
  await acquire();
  try {
    const so = body.stream_options as { include_usage?: boolean } | undefined;
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      const events = chatStream(flavour, body.model as string, tokens, prompt, so?.include_usage === true);
      for (const e of events) {
        if (gone) return;
        await sleep(tokenMs);
        res.write(e);
      }
      res.end();
    } else {
      await sleep(tokenMs * n);
      const text = tokens.join('');
      if (req.url?.startsWith('/v1/chat/'))
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(chatAnswer(flavour, body.model as string, text, prompt, n));
      json(res, 200, {
        id: 'cmpl-fake',
        object: 'text_completion',
        created: 1733540000,
        model: body.model,
        choices: [{ index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null }],
        usage: usageInfo(flavour, prompt, n),
      });
    }
  } finally {
    release();
  }
}

http
  .createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/health') return void res.writeHead(200).end();
    if (req.method === 'GET' && url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
    if (apiKey && url.startsWith('/v1/') && req.headers.authorization !== `Bearer ${apiKey}`) return json(res, 401, { error: 'Unauthorized' });
    if (req.method === 'GET' && url === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: names.map((id) => ({
          id,
          object: 'model',
          created: 1733540000,
          owned_by: flavour,
          root: flavour === 'vllm' ? model : id,
          parent: null,
          max_model_len: 4096,
        })),
      });
    }
    if (req.method === 'POST' && (url === '/v1/chat/completions' || url === '/v1/completions')) {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => void generate(req, res, Buffer.concat(parts).toString('utf8')));
      return;
    }
    json(res, 404, { detail: 'Not Found' });
  })
  .listen(port, host);
process.on('SIGTERM', () => process.exit(0));
