import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultThreads, parseLlamaCppParams } from './params.js';
import { llamaCppDriver } from './driver.js';

test('thread default: half the CPUs, at least 1, at most 4', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 8, 16, 64].map((n) => defaultThreads(n)),
    [1, 1, 1, 2, 4, 4, 4],
  );
});

test('params parse over the defaults; --flag=value works; ctx-size given is remembered', () => {
  const d = parseLlamaCppParams('');
  assert.equal(d.ctxSize, 2048);
  assert.equal(d.parallel, 4);
  assert.equal(d.ctxSizeGiven, false);
  const p = parseLlamaCppParams('--ctx-size 512 --threads=2 --parallel 8 --gpu cpu');
  assert.deepEqual([p.ctxSize, p.threads, p.parallel, p.gpu, p.ctxSizeGiven], [512, 2, 8, 'cpu', true]);
});

test('bad params are refused naming the flag and its limits', () => {
  const cases: [string, RegExp][] = [
    ['--threads 0', /engineParams: --threads must be an integer between 1 and 256, got "0"/],
    ['--parallel 65', /--parallel must be an integer between 1 and 64/],
    ['--ctx-size 1.5', /--ctx-size must be an integer between 64 and 1048576/],
    ['--ctx-size', /--ctx-size needs a value/],
    ['--gpu tpu', /--gpu must be one of auto, cpu, cuda, vulkan, got "tpu"/],
    ['--warp 9', /unknown flag --warp for the llamacpp engine \(known: --ctx-size/],
    ['threads 2', /unexpected argument "threads"/],
  ];
  for (const [text, re] of cases)
    assert.throws(
      () => llamaCppDriver.validateParams(text),
      (e: any) => e.code === 'invalid_argument' && re.test(e.message),
      text,
    );
});

test('the driver starts main.js on the stored file with CUDA_VISIBLE_DEVICES, and refuses a launch without one', () => {
  const l = {
    modelName: 'stories',
    modelPath: '/d/models/stories/s.gguf',
    engineParams: '--threads 1',
    host: '127.0.0.1',
    port: 4000,
    gpus: [2, 3],
    gpuCount: 2,
  };
  const c = llamaCppDriver.command(l);
  assert.equal(c.command, process.execPath);
  assert.match(c.args[0], /engines[/\\]llamacpp[/\\]main\.js$/);
  assert.deepEqual(c.args.slice(1), [
    '--host',
    '127.0.0.1',
    '--port',
    '4000',
    '--model-name',
    'stories',
    '--model-path',
    '/d/models/stories/s.gguf',
    '--threads',
    '1',
  ]);
  assert.deepEqual(c.env, { CUDA_VISIBLE_DEVICES: '2,3' });
  assert.throws(() => llamaCppDriver.command({ ...l, modelPath: undefined }), /needs a stored model/);
});
