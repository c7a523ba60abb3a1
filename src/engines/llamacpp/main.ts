/**
 * Process entry point of the llama.cpp engine: one process per replica.
 *
 *   node dist/engines/llamacpp/main.js --model-path FILE.gguf [--model-name NAME] [--host H] [--port P] [engine params]
 *
 * Listens at once (/health answers 503 "loading"), loads the model, then serves. A model that cannot be
 * loaded ends the process with code 1 and the reason in the log. SIGTERM/SIGINT: refuse new work,
 * finish what is in flight, exit 0 (or after SHUTDOWN_GRACE_MS).
 */
import { ENGINE_KEY_ENV } from '../engine-key.js';
import { pathToFileURL } from 'node:url';
import { InferscaleError } from '../../core/errors.js';
import { parseLlamaCppParams, LLAMACPP_PARAM_HELP, type LlamaCppParams } from './params.js';
import { createLlamaServer, type LlamaRuntime } from './llamacpp-server.js';

export const SHUTDOWN_GRACE_MS = 30_000;
export const LISTENING_PREFIX = 'INFERSCALE_LLAMACPP_LISTENING';

export interface MainArgs {
  host: string;
  port: number;
  modelName: string;
  modelPath: string;
  params: LlamaCppParams;
}

export function parseMainArgs(argv: readonly string[]): MainArgs {
  const own = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    const eq = tok.indexOf('=');
    const flag = eq >= 0 ? tok.slice(0, eq) : tok;
    if (['--host', '--port', '--model-name', '--model-path'].includes(flag)) {
      const v = eq >= 0 ? tok.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new InferscaleError('invalid_argument', `${flag} needs a value`);
      own.set(flag, v);
    } else rest.push(tok);
  }
  const modelPath = own.get('--model-path');
  if (!modelPath) throw new InferscaleError('invalid_argument', '--model-path is required (a GGUF file)');
  const port = Number(own.get('--port') ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InferscaleError('invalid_argument', `--port must be an integer between 0 and 65535`);
  return { host: own.get('--host') ?? '127.0.0.1', port, modelName: own.get('--model-name') ?? 'model', modelPath, params: parseLlamaCppParams(rest) };
}

export function runMain(argv: readonly string[]): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let args: MainArgs;
  try {
    args = parseMainArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nengine params:\n  ${LLAMACPP_PARAM_HELP.join('\n  ')}\n`);
    process.exit(2);
  }
  // node-llama-cpp is loaded only here, so the server and its tests never pay for it
  const load = (): Promise<LlamaRuntime> =>
    import('./runtime.js').then((m) =>
      m.loadRuntime({ modelPath: args.modelPath, params: args.params, visibleDevices: process.env.CUDA_VISIBLE_DEVICES, log: out }),
    );
  // load again: a wake from sleep (POST /wake_up) loads the same file with the same parameters
  const s = createLlamaServer({ modelName: args.modelName, params: args.params, log: out, apiKey: process.env[ENGINE_KEY_ENV] || undefined, load });
  s.server.on('error', (e) => {
    process.stderr.write(`llamacpp server error: ${e.message}\n`);
    process.exit(1);
  });
  s.server.listen(args.port, args.host, () => {
    const addr = s.server.address();
    out(`${LISTENING_PREFIX} port=${typeof addr === 'object' && addr ? addr.port : args.port}`);
    out(
      `llamacpp engine: model=${args.modelName} path=${args.modelPath} CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES ?? '(unset)'} params=${JSON.stringify(args.params)}`,
    );
  });
  void load()
    .then((rt) => s.setRuntime(rt))
    .catch((e: unknown) => {
      process.stderr.write(`cannot load model ${args.modelPath}: ${(e as Error).message}\n`);
      process.exit(1);
    });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    s.server.close();
    out(`received ${signal}: draining ${s.state().activeRequests} requests`);
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    void s
      .drain()
      .then(() => s.runtime()?.close())
      .catch(() => undefined)
      .then(() => {
        out('drained: exiting');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) runMain(process.argv.slice(2));
