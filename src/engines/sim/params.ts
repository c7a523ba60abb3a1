/**
 * Parameters of the engine simulator (`--engine sim`), and their CLI-style text form, e.g.
 * `--startup-seconds 3 --ttft-ms 50 --itl-ms 8 --max-num-seqs 4` (`--flag=value` works too).
 */
import { invalid } from '../../core/errors.js';

export interface SimEngineParams {
  /** Seconds from process start until the model is "loaded" (/health turns 200). May be 0. */
  startupSeconds: number;
  /** Fixed part of the time to first token, ms. */
  ttftMs: number;
  /** Prefill cost per prompt token, ms (added to ttftMs). */
  prefillMsPerToken: number;
  /** Inter-token latency with one running sequence, ms. */
  itlMs: number;
  /** Most sequences running at once (vLLM `--max-num-seqs`). */
  maxNumSeqs: number;
  /** Most requests waiting for a slot; beyond that requests get 503 engine_overloaded. */
  maxWaiting: number;
  /** Each extra running sequence slows every step by this fraction (0.03 = 3 %). */
  slowdownPerSeq: number;
  /** Uniform relative noise on every delay: factor in [1 - jitter, 1 + jitter). */
  jitter: number;
  /** Output length when a request gives no max_tokens. */
  defaultMaxTokens: number;
  /** Seconds a wake from sleep takes (POST /wake_up, sleep.ts). */
  wakeSeconds: number;
  /** Host RAM the weights take while asleep (vLLM level 1 offloads them there), GiB; reported by POST /sleep. */
  sleepRamGib: number;
  /** GPU memory the model and its KV cache take, GiB; a replica given a smaller share fails to start (0: fits any share). */
  modelMemoryGib: number;
}

/** The feel of a small model on one GPU. */
export const DEFAULT_SIM_PARAMS: SimEngineParams = Object.freeze({
  startupSeconds: 3,
  ttftMs: 40,
  prefillMsPerToken: 0.05,
  itlMs: 10,
  maxNumSeqs: 8,
  maxWaiting: 100,
  slowdownPerSeq: 0.03,
  jitter: 0.1,
  defaultMaxTokens: 16,
  wakeSeconds: 1,
  sleepRamGib: 0,
  modelMemoryGib: 0,
});

interface ParamSpec {
  key: keyof SimEngineParams;
  flag: string;
  description: string;
  min: number;
  max: number;
  integer: boolean;
}

const SPECS: ParamSpec[] = [
  { key: 'startupSeconds', flag: '--startup-seconds', description: 'seconds until the model is loaded', min: 0, max: 3600, integer: false },
  { key: 'ttftMs', flag: '--ttft-ms', description: 'fixed part of the time to first token, ms', min: 0, max: 60000, integer: false },
  { key: 'prefillMsPerToken', flag: '--prefill-ms-per-token', description: 'prefill time per prompt token, ms', min: 0, max: 100, integer: false },
  { key: 'itlMs', flag: '--itl-ms', description: 'inter-token latency with one running sequence, ms', min: 0, max: 10000, integer: false },
  { key: 'maxNumSeqs', flag: '--max-num-seqs', description: 'most sequences running at once', min: 1, max: 100000, integer: true },
  { key: 'maxWaiting', flag: '--max-waiting', description: 'most requests waiting for a slot (more get 503)', min: 0, max: 1000000, integer: true },
  { key: 'slowdownPerSeq', flag: '--slowdown-per-seq', description: 'relative slowdown per extra running sequence', min: 0, max: 10, integer: false },
  { key: 'jitter', flag: '--jitter', description: 'relative uniform noise on every delay', min: 0, max: 1, integer: false },
  { key: 'defaultMaxTokens', flag: '--default-max-tokens', description: 'output tokens when max_tokens is not given', min: 1, max: 32768, integer: true },
  { key: 'wakeSeconds', flag: '--wake-seconds', description: 'seconds a wake from sleep takes', min: 0, max: 3600, integer: false },
  { key: 'sleepRamGib', flag: '--sleep-ram-gib', description: 'host RAM the weights take while asleep, GiB', min: 0, max: 4096, integer: false },
  {
    key: 'modelMemoryGib',
    flag: '--model-memory-gib',
    description: "GPU memory the model needs, GiB; more than a fractional replica's share fails the start like an OOM (0: any)",
    min: 0,
    max: 4096,
    integer: false,
  },
];

/** One row per flag, for `--help` output and the UI. */
export const SIM_PARAM_HELP: Array<{ flag: string; description: string; default: number; min: number; max: number }> = SPECS.map((s) => ({
  flag: s.flag,
  description: s.description,
  default: DEFAULT_SIM_PARAMS[s.key],
  min: s.min,
  max: s.max,
}));

const FIELD = 'engineParams';

/** Splits text on whitespace; an array is taken as already split (argv style). */
function tokenize(text: string | string[]): string[] {
  if (Array.isArray(text)) return text.flatMap((t) => (t.trim() === '' ? [] : [t.trim()]));
  return text.split(/\s+/).filter((t) => t !== '');
}

function parseValue(spec: ParamSpec, raw: string | undefined): number {
  const range = `${spec.integer ? 'an integer ' : ''}between ${spec.min} and ${spec.max}`;
  const limits = `${spec.flag} must be ${range}`;
  if (raw === undefined || raw === '' || raw.startsWith('--')) {
    throw invalid(FIELD, `${spec.flag} needs a value, ${range}`);
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
    throw invalid(FIELD, `${limits}, got "${raw}" (not a number)`);
  }
  if (n < spec.min || n > spec.max || (spec.integer && !Number.isInteger(n))) {
    throw invalid(FIELD, `${limits}, got ${raw}`);
  }
  return n;
}

/**
 * Parses CLI-style engine flags over DEFAULT_SIM_PARAMS. Later flags win. Throws InferscaleError
 * (`invalid_argument`, field `engineParams`) naming the flag and its limits on any problem.
 */
export function parseSimEngineParams(text: string | string[]): SimEngineParams {
  const out: SimEngineParams = { ...DEFAULT_SIM_PARAMS };
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok.startsWith('--')) throw invalid(FIELD, `unexpected argument "${tok}" (flags look like --itl-ms 10)`);
    const eq = tok.indexOf('=');
    const flag = eq >= 0 ? tok.slice(0, eq) : tok;
    const spec = SPECS.find((s) => s.flag === flag);
    if (!spec) {
      throw invalid(FIELD, `unknown flag ${flag} (known: ${SPECS.map((s) => s.flag).join(', ')})`);
    }
    let raw: string | undefined;
    if (eq >= 0) raw = tok.slice(eq + 1);
    else {
      raw = tokens[i + 1];
      if (raw !== undefined && !raw.startsWith('--')) i++;
    }
    out[spec.key] = parseValue(spec, raw);
  }
  return out;
}
