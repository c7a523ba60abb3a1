/**
 * Engines run from a command template: vLLM, SGLang and `command` (the template comes from the
 * engine params: `--command "python serve.py --port {port} {params}"`). Readiness: GET /health on
 * {port}; GPUs: CUDA_VISIBLE_DEVICES. The executable can be replaced per engine with
 * INFERSCALE_VLLM_BIN / INFERSCALE_SGLANG_BIN (e.g. a virtualenv's `vllm` or `python`).
 */
import { InferscaleError, invalid } from '../../core/errors.js';
import { splitArgs } from '../../core/argv.js';
import type { EngineName } from '../../domain/types.js';
import type { EngineDriver, EngineLaunch } from '../types.js';
import { ENGINE_KEY_ENV, VLLM_KEY_ENV } from '../engine-key.js';
import { checkTemplate, renderTemplate, PLACEHOLDERS } from './template.js';

export const VLLM_TEMPLATE = 'vllm serve {model} --host {host} --port {port} --tensor-parallel-size {gpuCount} --served-model-name {name} {params}';
export const SGLANG_TEMPLATE =
  'python -m sglang.launch_server --model-path {model} --host {host} --port {port} --tp {gpuCount} --served-model-name {name} {params}';

const FIELD = 'engineParams';

function paramWords(params: string): string[] {
  try {
    return splitArgs(params);
  } catch (e) {
    throw invalid(FIELD, (e as Error).message);
  }
}

/** The engine key as an environment variable (none when the replica has no key). */
export function keyEnv(l: EngineLaunch, name: string): Record<string, string> {
  return l.apiKey ? { [name]: l.apiKey } : {};
}

/** The environment variable that tells an engine its share of GPU memory (MiB), for a fractional replica. */
export const GPU_MEMORY_ENV = 'INFERSCALE_GPU_MEMORY_MIB';

/** A fractional replica's share of its GPU's memory as an environment variable (none for whole GPUs). */
export function memoryEnv(l: Pick<EngineLaunch, 'gpuMemory'>): Record<string, string> {
  return l.gpuMemory ? { [GPU_MEMORY_ENV]: String(l.gpuMemory.shareMb) } : {};
}

/** The share as a fraction of the GPU, rounded down to 0.001 so the engine stays within it. */
export function memoryFraction(m: { shareMb: number; totalMb: number }): string {
  return String(Math.max(0.001, Math.floor((m.shareMb / m.totalMb) * 1000) / 1000));
}

/**
 * A model from the store is a local path ({model}): the engine must not go to the Hub for it (nor for its
 * tokenizer), so a replica started from zero downloads nothing. A model given by name is the engine's to fetch.
 */
export function offlineEnv(l: EngineLaunch): Record<string, string> {
  return l.modelPath ? { HF_HUB_OFFLINE: '1' } : {};
}

/**
 * Flags the template sets: giving them again in the params would contradict inferscale. Python's argparse
 * (vLLM, SGLang) also takes `--flag=value`, `--flag_name` for `--flag-name` (vLLM) and any unambiguous
 * prefix (`--api-k`), so each word is compared in those forms too.
 */
function refuseReserved(words: string[], reserved: string[], engine: string): void {
  for (const w of words) {
    if (!w.startsWith('-')) continue;
    const flag = w.split('=')[0].replace(/_/g, '-');
    const hit = reserved.find((r) => r === flag || (flag.startsWith('--') && flag.length > 3 && r.startsWith(flag)));
    if (hit)
      throw invalid(
        FIELD,
        `${hit} is set by inferscale for the ${engine} engine (it picks host, port, GPUs, the model and the engine key); leave ${flag === hit ? 'it' : `${flag} (${hit})`} out`,
      );
  }
}

function vars(l: EngineLaunch, params: string) {
  return {
    model: l.modelPath ?? l.modelName,
    name: l.modelName,
    port: String(l.port),
    host: l.host,
    gpuCount: String(l.gpuCount),
    gpus: l.gpus.join(','),
    params,
  };
}

/**
 * How a template engine is given its key: vLLM reads VLLM_API_KEY (kept off the command line); SGLang
 * takes `--api-key` only (visible in `ps` to users of this machine: docs/reliability.md).
 */
type KeyDelivery = { env: string } | { flag: string };

function templateDriver(
  name: EngineName,
  template: string,
  binEnv: string,
  reserved: string[],
  help: string[],
  key: KeyDelivery,
  memoryFlag?: string,
): EngineDriver {
  return {
    name,
    healthPath: '/health',
    metricsPath: '/metrics',
    validateParams(params) {
      refuseReserved(paramWords(params), reserved, name);
    },
    command(l) {
      const [command, ...args] = renderTemplate(template, vars(l, l.engineParams), process.env[binEnv] || undefined);
      const env = { CUDA_VISIBLE_DEVICES: l.gpus.join(','), ...offlineEnv(l), ...memoryEnv(l), ...('env' in key ? keyEnv(l, key.env) : {}) };
      // a fractional replica's share comes last, so it wins over the same flag in the params
      const share = memoryFlag && l.gpuMemory ? [memoryFlag, memoryFraction(l.gpuMemory)] : [];
      return { command, args: [...args, ...share, ...('flag' in key && l.apiKey ? [key.flag, l.apiKey] : [])], env };
    },
    paramHelp: () => [
      ...help,
      `the command: ${template}`,
      `${binEnv}: replaces "${template.split(' ')[0]}", the executable`,
      `set by inferscale, not allowed in params: ${reserved.join(' ')}`,
    ],
  };
}

export const vllmDriver = templateDriver(
  'vllm',
  VLLM_TEMPLATE,
  'INFERSCALE_VLLM_BIN',
  ['--host', '--port', '--tensor-parallel-size', '-tp', '--served-model-name', '--api-key'],
  ['any "vllm serve" flag, e.g. --max-model-len 8192 --gpu-memory-utilization 0.9 --dtype auto --max-num-seqs 64'],
  { env: VLLM_KEY_ENV },
  '--gpu-memory-utilization',
);

export const sglangDriver = templateDriver(
  'sglang',
  SGLANG_TEMPLATE,
  'INFERSCALE_SGLANG_BIN',
  ['--model-path', '--host', '--port', '--tp', '--tp-size', '--served-model-name', '--api-key'],
  ['any "sglang.launch_server" flag, e.g. --context-length 8192 --mem-fraction-static 0.85 --max-running-requests 64'],
  { flag: '--api-key' },
  '--mem-fraction-static',
);

/** `--command "TEMPLATE"` out of the params; the other words become {params}. */
export function splitCommandParams(params: string): { template: string; rest: string } {
  const words = paramWords(params);
  let template: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--command') template = words[++i];
    else if (w.startsWith('--command=')) template = w.slice('--command='.length);
    // re-quoted the way splitArgs reads it back: in double quotes, with \ before " and \
    else rest.push(/[\s"'\\]/.test(w) || w === '' ? `"${w.replace(/["\\]/g, '\\$&')}"` : w);
  }
  if (template === undefined || template.trim() === '')
    throw invalid(FIELD, '--command "TEMPLATE" is required for the command engine, e.g. --command "python serve.py --model {model} --port {port} {params}"');
  checkTemplate(template, FIELD);
  return { template, rest: rest.join(' ') };
}

export const commandDriver: EngineDriver = {
  name: 'command',
  healthPath: '/health',
  metricsPath: '/metrics',
  validateParams(params) {
    splitCommandParams(params);
  },
  command(l) {
    const { template, rest } = splitCommandParams(l.engineParams);
    const [command, ...args] = renderTemplate(template, vars(l, rest));
    if (!command) throw new InferscaleError('invalid_argument', 'the command template is empty', { field: FIELD });
    return { command, args, env: { CUDA_VISIBLE_DEVICES: l.gpus.join(','), ...offlineEnv(l), ...memoryEnv(l), ...keyEnv(l, ENGINE_KEY_ENV) } };
  },
  paramHelp: () => [
    '--command "TEMPLATE"  the command that starts one replica (required); it must serve OpenAI endpoints and GET /health on {port}',
    `placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} ({model}: the stored file or repository directory if the model is in the model store, else the model name; {name}: the model name; {params}: the other engine params)`,
    'other params are passed through {params}',
  ],
};
