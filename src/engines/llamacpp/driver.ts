/** The `llamacpp` engine driver: a replica is `node dist/engines/llamacpp/main.js` on a stored GGUF file. */
import { fileURLToPath } from 'node:url';
import { InferscaleError } from '../../core/errors.js';
import { splitArgs } from '../../core/argv.js';
import type { EngineDriver } from '../types.js';
import { ENGINE_KEY_ENV } from '../engine-key.js';
import { keyEnv } from '../command/drivers.js';
import { LLAMACPP_PARAM_HELP, parseLlamaCppParams } from './params.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

export const llamaCppDriver: EngineDriver = {
  name: 'llamacpp',
  healthPath: '/health',
  metricsPath: '/metrics',
  validateParams(params) {
    parseLlamaCppParams(params);
  },
  command(l) {
    if (!l.modelPath) {
      throw new InferscaleError(
        'invalid_argument',
        `modelName: the llamacpp engine needs a stored model; "${l.modelName}" has no file (inferscale model create ${l.modelName} --from ...)`,
        { field: 'modelName' },
      );
    }
    return {
      command: process.execPath,
      args: [MAIN, '--host', l.host, '--port', String(l.port), '--model-name', l.modelName, '--model-path', l.modelPath, ...splitArgs(l.engineParams)],
      env: { CUDA_VISIBLE_DEVICES: l.gpus.join(','), ...keyEnv(l, ENGINE_KEY_ENV) },
    };
  },
  paramHelp: () => LLAMACPP_PARAM_HELP,
};
