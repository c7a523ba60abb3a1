import { fileURLToPath } from 'node:url';
import { InferscaleError } from '../core/errors.js';
import { splitArgs } from '../core/argv.js';
import type { EngineName } from '../domain/types.js';
import type { EngineDriver } from './types.js';
import { ENGINE_KEY_ENV } from './engine-key.js';
import { keyEnv, memoryEnv } from './command/drivers.js';
import { parseSimEngineParams, SIM_PARAM_HELP } from './sim/params.js';
import { llamaCppDriver } from './llamacpp/driver.js';
import { commandDriver, sglangDriver, vllmDriver } from './command/drivers.js';

const SIM_MAIN = fileURLToPath(new URL('./sim/main.js', import.meta.url));

const simDriver: EngineDriver = {
  name: 'sim',
  healthPath: '/health',
  metricsPath: '/metrics',
  validateParams(params) {
    parseSimEngineParams(splitArgs(params));
  },
  command(l) {
    return {
      command: process.execPath,
      args: [SIM_MAIN, '--host', l.host, '--port', String(l.port), '--model-name', l.modelName, ...splitArgs(l.engineParams)],
      env: { CUDA_VISIBLE_DEVICES: l.gpus.join(','), ...memoryEnv(l), ...keyEnv(l, ENGINE_KEY_ENV) },
    };
  },
  paramHelp: () => SIM_PARAM_HELP.map((p) => `${p.flag}  ${p.description} (default ${p.default}, ${p.min}..${p.max})`),
};

const drivers = new Map<EngineName, EngineDriver>([['sim', simDriver]]);
for (const d of [llamaCppDriver, vllmDriver, sglangDriver, commandDriver]) drivers.set(d.name, d);

/** Registers an engine driver (llama.cpp, vLLM, ... slot in here). */
export function registerEngine(d: EngineDriver): void {
  drivers.set(d.name, d);
}

export function engineDriver(name: EngineName): EngineDriver {
  const d = drivers.get(name);
  if (!d)
    throw new InferscaleError('unsupported', `engine: "${name}" is not available yet on this server (available: ${[...drivers.keys()].join(', ')})`, {
      field: 'engine',
    });
  return d;
}
