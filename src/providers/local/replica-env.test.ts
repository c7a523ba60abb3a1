import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicaEnv } from './replica-env.js';

test("a replica inherits an allow-list of the server's environment: no admin token, no cloud credentials", () => {
  const env = replicaEnv({
    PATH: '/usr/bin',
    HOME: '/root',
    LC_ALL: 'C',
    CUDA_HOME: '/cuda',
    HF_TOKEN: 'hf',
    VLLM_USE_V1: '1',
    INFERSCALE_TOKEN: 'ist-admin',
    INFERSCALE_DATA_DIR: '/d',
    AWS_SECRET_ACCESS_KEY: 's',
    GOOGLE_APPLICATION_CREDENTIALS: '/k.json',
    KUBECONFIG: '/kc',
    MY_VAR: 'x',
  });
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/root', LC_ALL: 'C', CUDA_HOME: '/cuda', HF_TOKEN: 'hf', VLLM_USE_V1: '1' });
  assert.deepEqual(replicaEnv({ MY_VAR: 'x', MINE_A: 'a', OTHER: 'o', INFERSCALE_REPLICA_ENV: 'MY_VAR, MINE_*' }), { MY_VAR: 'x', MINE_A: 'a' });
});
