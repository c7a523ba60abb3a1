import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, VLLM_SLEEP_FLAG, withSleepMode } from './template.js';
import { commandDriver, sglangDriver, splitCommandParams, vllmDriver } from './drivers.js';

const launch = {
  modelName: 'stories',
  modelPath: '/data/models/stories/s.gguf',
  engineParams: '--max-model-len 4096 --dtype "bfloat16"',
  host: '127.0.0.1',
  port: 4100,
  gpus: [4, 5],
  gpuCount: 2,
};
const vars = { model: '/m dir/x.gguf', name: 'x', port: '1', host: 'h', gpuCount: '2', gpus: '0,1', params: '--a 1 --b "two words"' };

test('placeholders fill their word; {params} alone expands into words; quotes are honoured', () => {
  assert.deepEqual(renderTemplate('srv --model {model} --port={port} --tp {gpuCount} {params}', vars), [
    'srv',
    '--model',
    '/m dir/x.gguf',
    '--port=1',
    '--tp',
    '2',
    '--a',
    '1',
    '--b',
    'two words',
  ]);
  assert.deepEqual(renderTemplate('"/opt/my engine/bin" --port {port}', vars, '/usr/bin/other'), ['/usr/bin/other', '--port', '1']);
  assert.throws(() => renderTemplate('srv --port {port} {gpu}', vars), /unknown placeholder \{gpu\}/);
  assert.throws(() => renderTemplate('srv --model {model}', vars), /must pass \{port\}/);
});

test('vllm: the default template with the stored file, tensor parallelism and CUDA_VISIBLE_DEVICES; INFERSCALE_VLLM_BIN', () => {
  const c = vllmDriver.command(launch);
  assert.equal(c.command, 'vllm');
  assert.deepEqual(c.args, [
    'serve',
    '/data/models/stories/s.gguf',
    '--host',
    '127.0.0.1',
    '--port',
    '4100',
    '--tensor-parallel-size',
    '2',
    '--served-model-name',
    'stories',
    '--max-model-len',
    '4096',
    '--dtype',
    'bfloat16',
  ]);
  assert.deepEqual(c.env, { CUDA_VISIBLE_DEVICES: '4,5', HF_HUB_OFFLINE: '1' }, 'a stored model: the engine must not go to the Hub');
  assert.equal(vllmDriver.command({ ...launch, modelPath: undefined }).env.HF_HUB_OFFLINE, undefined, "a model by name is the engine's to fetch");
  assert.equal(sglangDriver.command(launch).env.HF_HUB_OFFLINE, '1');
  process.env.INFERSCALE_VLLM_BIN = '/venv/bin/vllm';
  try {
    assert.equal(vllmDriver.command({ ...launch, modelPath: undefined, modelName: 'Qwen/Qwen2.5-0.5B' }).command, '/venv/bin/vllm');
    assert.equal(
      vllmDriver.command({ ...launch, modelPath: undefined, modelName: 'Qwen/Qwen2.5-0.5B' }).args[1],
      'Qwen/Qwen2.5-0.5B',
      'a model not in the store goes by name',
    );
  } finally {
    delete process.env.INFERSCALE_VLLM_BIN;
  }
  assert.throws(() => vllmDriver.validateParams('--port 9000'), /engineParams: --port is set by inferscale/);
  assert.throws(() => vllmDriver.validateParams('--tensor-parallel-size=4'), /--tensor-parallel-size is set by inferscale/);
  assert.throws(() => vllmDriver.validateParams('--x "unterminated'), /unterminated/);
});

test('sglang: python -m sglang.launch_server with --tp; INFERSCALE_SGLANG_BIN replaces python', () => {
  const c = sglangDriver.command({ ...launch, engineParams: '' });
  assert.deepEqual(
    [c.command, ...c.args],
    [
      'python',
      '-m',
      'sglang.launch_server',
      '--model-path',
      '/data/models/stories/s.gguf',
      '--host',
      '127.0.0.1',
      '--port',
      '4100',
      '--tp',
      '2',
      '--served-model-name',
      'stories',
    ],
  );
  assert.ok(sglangDriver.paramHelp().some((l) => l.includes('INFERSCALE_SGLANG_BIN')));
});

test('command: the template comes from --command, the other params fill {params}', () => {
  const p = '--command "python serve.py --model {model} --port {port} {params}" --temperature 0.5 --label "a b"';
  assert.deepEqual(splitCommandParams(p), { template: 'python serve.py --model {model} --port {port} {params}', rest: '--temperature 0.5 --label "a b"' });
  const c = commandDriver.command({ ...launch, engineParams: p });
  assert.deepEqual(
    [c.command, ...c.args],
    ['python', 'serve.py', '--model', '/data/models/stories/s.gguf', '--port', '4100', '--temperature', '0.5', '--label', 'a b'],
  );
  assert.throws(() => commandDriver.validateParams('--temperature 1'), /--command "TEMPLATE" is required/);
  assert.throws(() => commandDriver.validateParams('--command "serve --port 1"'), /must pass \{port\}/);
});

test('engine key: vLLM gets it in VLLM_API_KEY (not on the command line), SGLang as --api-key, command engines in INFERSCALE_ENGINE_KEY', () => {
  const v = vllmDriver.command({ ...launch, apiKey: 'ise-k' });
  assert.equal(v.env.VLLM_API_KEY, 'ise-k');
  assert.ok(!v.args.includes('ise-k'));
  const s = sglangDriver.command({ ...launch, engineParams: '', apiKey: 'ise-k' });
  assert.deepEqual(s.args.slice(-2), ['--api-key', 'ise-k']);
  assert.equal(commandDriver.command({ ...launch, engineParams: '--command "serve --port {port}"', apiKey: 'ise-k' }).env.INFERSCALE_ENGINE_KEY, 'ise-k');
  assert.equal(vllmDriver.command(launch).env.VLLM_API_KEY, undefined, 'no key: none set');
});

test('reserved flags are refused in every form argparse takes: --flag=value, underscores, unambiguous prefixes', () => {
  for (const p of ['--api-key x', '--api-key=x', '--port=8000', '--api_key x', '--api-k x', '--served_model_name=y', '--hos 0.0.0.0']) {
    assert.throws(() => vllmDriver.validateParams(p), /is set by inferscale/, p);
  }
  assert.throws(() => sglangDriver.validateParams('--api-key=x'), /--api-key is set by inferscale/);
  assert.throws(() => sglangDriver.validateParams('--tp-size=2'), /--tp-size is set by inferscale/);
  // ordinary flags pass, and so does a prefix too short to be one flag's (argparse refuses it as ambiguous)
  vllmDriver.validateParams('--max-model-len 4096 --dtype auto --max-num-seqs 64');
  vllmDriver.validateParams('--p 1');
});

test('command params with quotes, backslashes and empty words reach the command as given', () => {
  const words = ["it's", 'say "hi"', 'back\\slash', '', 'mixed \'a\' "b"'];
  const p = `--command "serve --port {port} {params}" ${words.map((w) => `--x ${JSON.stringify(w)}`).join(' ')}`;
  const c = commandDriver.command({ ...launch, engineParams: p });
  assert.deepEqual(
    c.args.filter((_, i) => c.args[i - 1] === '--x'),
    words,
  );
});

test("vLLM's sleep mode: a launch that asks for it gets --enable-sleep-mode once and VLLM_SERVER_DEV_MODE=1; other engines unchanged", () => {
  const cmd = vllmDriver.command(launch);
  const asleep = withSleepMode('vllm', cmd);
  assert.deepEqual(asleep.args.slice(-1), [VLLM_SLEEP_FLAG]);
  assert.equal(asleep.env.VLLM_SERVER_DEV_MODE, '1');
  assert.equal(cmd.args.includes(VLLM_SLEEP_FLAG), false, 'the plain launch has no sleep mode');
  assert.deepEqual(withSleepMode('vllm', asleep).args, asleep.args, 'given once');
  const sg = sglangDriver.command(launch);
  assert.equal(withSleepMode('sglang', sg), sg);
});
