/**
 * Parameters of the built-in llama.cpp engine (`--engine llamacpp`), CLI style:
 * `--ctx-size 2048 --threads 1 --parallel 4` (`--flag=value` works too). Errors name the flag and its limits.
 */
import { availableParallelism } from 'node:os';
import { invalid } from '../../core/errors.js';
import { splitArgs } from '../../core/argv.js';

export const GPU_MODES = ['auto', 'cpu', 'cuda', 'vulkan'] as const;
export type GpuMode = (typeof GPU_MODES)[number];

export interface LlamaCppParams {
  /** tokens of context per parallel sequence */
  ctxSize: number;
  /** CPU threads for generation */
  threads: number;
  /** sequences generated at once (requests beyond wait) */
  parallel: number;
  /** requests allowed to wait for a free sequence; more get 503 */
  maxWaiting: number;
  /** output tokens when a request gives no max_tokens */
  defaultMaxTokens: number;
  gpu: GpuMode;
  /** whether ctxSize was given (else it is capped to the model's training context) */
  ctxSizeGiven: boolean;
}

/**
 * Threads default: half the CPUs (about the physical cores on SMT machines), at least 1, at most 4.
 * llama.cpp's own default (every CPU) spins threads against each other and against the server and the
 * other replicas: on a busy 2-core machine 100 tokens of the tiny test model took 56 s with 4 threads,
 * 3-4 s with 2 and 0.06-0.1 s with 1 (see docs/engines.md).
 */
export function defaultThreads(cpus = availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cpus / 2)));
}

export const defaultLlamaCppParams = (): LlamaCppParams => ({
  ctxSize: 2048,
  threads: defaultThreads(),
  parallel: 4,
  maxWaiting: 256,
  defaultMaxTokens: 256,
  gpu: 'auto',
  ctxSizeGiven: false,
});

interface Spec {
  key: Exclude<keyof LlamaCppParams, 'gpu' | 'ctxSizeGiven'>;
  flag: string;
  description: string;
  min: number;
  max: number;
}

const SPECS: Spec[] = [
  {
    key: 'ctxSize',
    flag: '--ctx-size',
    description: "context tokens per parallel sequence (default 2048, at most the model's training context)",
    min: 64,
    max: 1_048_576,
  },
  { key: 'threads', flag: '--threads', description: `CPU threads for generation (default min(4, CPUs/2), here ${defaultThreads()})`, min: 1, max: 256 },
  { key: 'parallel', flag: '--parallel', description: 'sequences generated at once; more requests wait (default 4)', min: 1, max: 64 },
  { key: 'maxWaiting', flag: '--max-waiting', description: 'requests waiting for a free sequence; more get 503 (default 256)', min: 0, max: 100_000 },
  {
    key: 'defaultMaxTokens',
    flag: '--default-max-tokens',
    description: 'output tokens when a request gives no max_tokens (default 256)',
    min: 1,
    max: 1_048_576,
  },
];

const FIELD = 'engineParams';
const FLAGS = [...SPECS.map((s) => s.flag), '--gpu'];

export const LLAMACPP_PARAM_HELP: string[] = [
  ...SPECS.map((s) => `${s.flag} N  ${s.description}; ${s.min}..${s.max}`),
  `--gpu MODE  ${GPU_MODES.join(' | ')}: auto uses CUDA (or Vulkan) when the replica holds a real GPU, else the CPU (default auto)`,
];

/** Parses engine params over the defaults; throws invalid_argument (field engineParams) naming the flag. */
export function parseLlamaCppParams(text: string | string[]): LlamaCppParams {
  const out = defaultLlamaCppParams();
  let tokens: string[];
  try {
    tokens = Array.isArray(text) ? text : splitArgs(text);
  } catch (e) {
    throw invalid(FIELD, (e as Error).message);
  }
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok.startsWith('--')) throw invalid(FIELD, `unexpected argument "${tok}" (flags look like --threads 2)`);
    const eq = tok.indexOf('=');
    const flag = eq >= 0 ? tok.slice(0, eq) : tok;
    if (!FLAGS.includes(flag)) throw invalid(FIELD, `unknown flag ${flag} for the llamacpp engine (known: ${FLAGS.join(', ')})`);
    let raw: string | undefined = eq >= 0 ? tok.slice(eq + 1) : tokens[i + 1];
    if (eq < 0 && raw !== undefined && !raw.startsWith('--')) i++;
    else if (eq < 0) raw = undefined;
    if (flag === '--gpu') {
      if (!GPU_MODES.includes(raw as GpuMode))
        throw invalid(FIELD, `--gpu must be one of ${GPU_MODES.join(', ')}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
      out.gpu = raw as GpuMode;
      continue;
    }
    const spec = SPECS.find((s) => s.flag === flag)!;
    const range = `an integer between ${spec.min} and ${spec.max}`;
    if (raw === undefined || raw === '') throw invalid(FIELD, `${flag} needs a value, ${range}`);
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < spec.min || n > spec.max) throw invalid(FIELD, `${flag} must be ${range}, got "${raw}"`);
    out[spec.key] = n;
    if (spec.key === 'ctxSize') out.ctxSizeGiven = true;
  }
  return out;
}
