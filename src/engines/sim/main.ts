/**
 * Process entry point of the engine simulator: one process per replica.
 *
 *   node dist/engines/sim/main.js [--port 8000] [--host 127.0.0.1] [--model-name sim-model] [engine flags...]
 *
 * Engine flags are those of params.ts (`--itl-ms 10 ...`). `--port 0` picks a free port. The first stdout
 * line is `INFERSCALE_SIM_LISTENING port=<port>`; after it come lifecycle lines and one line per request.
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests (streams too) finish, exit 0; exit
 * anyway after SHUTDOWN_GRACE_MS.
 */
import { ENGINE_KEY_ENV } from '../engine-key.js';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../../core/clock.js';
import { InferscaleError, invalid } from '../../core/errors.js';
import { parseSimEngineParams, SIM_PARAM_HELP, type SimEngineParams } from './params.js';
import { createSimServer } from './sim-server.js';
import { GPU_MEMORY_ENV } from '../command/drivers.js';
import { memoryShortfall } from './memory.js';

export const SHUTDOWN_GRACE_MS = 30_000;
export const LISTENING_PREFIX = 'INFERSCALE_SIM_LISTENING';

export interface SimMainArgs {
  port: number;
  host: string;
  modelName: string;
  /** Everything else, handed to parseSimEngineParams. */
  engineArgs: string[];
  help: boolean;
}

/** Splits argv into the process flags (--port, --host, --model-name, --help) and the engine flags. */
export function parseSimMainArgs(argv: readonly string[]): SimMainArgs {
  const out: SimMainArgs = { port: 8000, host: '127.0.0.1', modelName: 'sim-model', engineArgs: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--help' || tok === '-h') {
      out.help = true;
      continue;
    }
    const eq = tok.indexOf('=');
    const flag = tok.startsWith('--') && eq >= 0 ? tok.slice(0, eq) : tok;
    if (flag !== '--port' && flag !== '--host' && flag !== '--model-name') {
      out.engineArgs.push(tok);
      continue;
    }
    const value = eq >= 0 ? tok.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw invalid('args', `${flag} needs a value`);
    if (flag === '--port') {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) throw invalid('args', `--port must be an integer between 0 and 65535, got ${value}`);
      out.port = port;
    } else if (flag === '--host') out.host = value;
    else out.modelName = value;
  }
  return out;
}

function usage(): string {
  const rows = SIM_PARAM_HELP.map((h) => `  ${h.flag.padEnd(24)} ${h.description} (default ${h.default}, ${h.min}..${h.max})`);
  return ['usage: node dist/engines/sim/main.js [--port 8000] [--host 127.0.0.1] [--model-name NAME] [engine flags]', 'engine flags:', ...rows].join('\n');
}

/** Runs the simulator in this process until SIGTERM/SIGINT. */
export function runSimMain(argv: readonly string[]): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let args: SimMainArgs;
  let params: SimEngineParams;
  try {
    args = parseSimMainArgs(argv);
    params = parseSimEngineParams(args.engineArgs);
  } catch (err) {
    process.stderr.write(`${err instanceof InferscaleError ? err.message : String(err)}\n${usage()}\n`);
    process.exit(2);
  }
  if (args.help) {
    out(usage());
    return;
  }
  const oom = memoryShortfall(params.modelMemoryGib, process.env[GPU_MEMORY_ENV]);
  if (oom) {
    process.stderr.write(`${oom}\n`);
    process.exit(1);
  }

  const sim = createSimServer({ params, modelName: args.modelName, clock: systemClock, log: out, apiKey: process.env[ENGINE_KEY_ENV] || undefined });
  const { server } = sim;
  server.on('error', (err) => {
    process.stderr.write(`sim server error: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(args.port, args.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : args.port;
    out(`${LISTENING_PREFIX} port=${port}`);
    out(
      `sim engine: model=${args.modelName} host=${args.host} CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES ?? '(unset)'} ` +
        `params=${JSON.stringify(params)}`,
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.close(); // stop accepting connections; idle keep-alive ones close too
    out(`received ${signal}: not accepting connections, draining ${sim.state().activeRequests} in-flight requests`);
    const force = setTimeout(() => {
      out(`shutdown grace of ${SHUTDOWN_GRACE_MS}ms over with ${sim.state().activeRequests} requests in flight: exiting`);
      process.exit(0);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    void sim.drain().then(() => {
      out('drained: exiting');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) runSimMain(process.argv.slice(2));
