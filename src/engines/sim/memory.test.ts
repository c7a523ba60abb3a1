import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryShortfall } from './memory.js';
import { memoryEnv, memoryFraction, sglangDriver, vllmDriver } from '../command/drivers.js';

test('a model larger than the share cannot load; one that fits, or no share or size given, can', () => {
  assert.equal(memoryShortfall(8, '4096'), "CUDA out of memory: the model needs 8192 MiB of GPU memory, this replica's share is 4096 MiB");
  assert.equal(memoryShortfall(4, '4096'), undefined);
  assert.equal(memoryShortfall(8, undefined), undefined, 'whole GPUs: no share');
  assert.equal(memoryShortfall(0, '1024'), undefined, 'no model size: fits');
});

test('engines are told their share: vLLM and SGLang as a fraction after the params, every engine in the environment', () => {
  const launch = {
    modelName: 'm',
    engineParams: '--gpu-memory-utilization 0.9',
    host: 'h',
    port: 1,
    gpus: [2],
    gpuCount: 1,
    gpuMemory: { shareMb: 10240, totalMb: 40960 },
  };
  const v = vllmDriver.command(launch);
  assert.deepEqual(v.args.slice(-2), ['--gpu-memory-utilization', '0.25'], 'the share comes last and wins');
  assert.equal(v.env.INFERSCALE_GPU_MEMORY_MIB, '10240');
  assert.equal(v.env.CUDA_VISIBLE_DEVICES, '2');
  const s = sglangDriver.command({ ...launch, engineParams: '' });
  assert.ok(s.args.join(' ').includes('--mem-fraction-static 0.25'));
  const whole = vllmDriver.command({ ...launch, gpuMemory: undefined });
  assert.ok(!whole.args.slice(-2).includes('0.25'));
  assert.deepEqual(memoryEnv({}), {});
  assert.equal(memoryFraction({ shareMb: 6144, totalMb: 81920 }), '0.075');
});
