import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, waitFor, type TestServer } from '../../test/harness.js';

// A FAKE `vllm` executable (a small node script written here): it checks only that inferscale renders
// the command template (model path, port, tensor parallelism, CUDA_VISIBLE_DEVICES) and waits for
// /health before routing; its usage has vLLM's field order (UsageInfo). No real vLLM or SGLang runs in
// these tests; engine-fakes.it.test.ts runs fuller fakes of both (src/test/fake-engine.ts).
const FAKE = `
import http from 'node:http';
import fs from 'node:fs';
const dir = process.env.FAKE_VLLM_DIR;
const args = process.argv.slice(2);
fs.writeFileSync(dir + '/argv-' + process.pid + '.json', JSON.stringify({ args, cuda: process.env.CUDA_VISIBLE_DEVICES }));
const port = Number(args[args.indexOf('--port') + 1]);
http.createServer((req, res) => {
  if (req.url === '/health') {
    const ok = fs.existsSync(dir + '/healthy');
    if (!ok) fs.appendFileSync(dir + '/probes', '.');
    return res.writeHead(ok ? 200 : 503).end();
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'fake', object: 'text_completion', created: 0, model: 'fake', choices: [{ index: 0, text: ' from the fake vllm', finish_reason: 'length', logprobs: null }], usage: { prompt_tokens: 1, total_tokens: 5, completion_tokens: 4, prompt_tokens_details: null } }));
  });
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let t: TestServer;
let dir: string;
let bin: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferscale-fake-vllm-'));
  writeFileSync(join(dir, 'fake.mjs'), FAKE);
  bin = join(dir, 'vllm');
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${join(dir, 'fake.mjs')}" "$@"\n`);
  chmodSync(bin, 0o755);
  writeFileSync(join(dir, 'weights.gguf'), 'not really weights');
  process.env.FAKE_VLLM_DIR = dir;
  // replicas inherit only an allow-list of the server's environment: the fake's own variable is named
  process.env.INFERSCALE_REPLICA_ENV = 'FAKE_VLLM_DIR';
  process.env.INFERSCALE_VLLM_BIN = bin;
  t = await startTestServer();
});
after(async () => {
  await t.close();
  delete process.env.INFERSCALE_VLLM_BIN;
  delete process.env.FAKE_VLLM_DIR;
  delete process.env.INFERSCALE_REPLICA_ENV;
  rmSync(dir, { recursive: true, force: true });
});

const argvFiles = () => readdirSync(dir).filter((f) => f.startsWith('argv-'));
const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;

test('fake vllm: the default template gets the stored file, the port and --tensor-parallel-size; routed only after /health is 200', async () => {
  assert.equal((await t.cli(['model', 'create', 'weights', '--from', join(dir, 'weights.gguf'), '--wait-timeout', '60'])).code, 0);
  const created = await t.api('POST', '/deployments', { name: 'v', engine: 'vllm', modelName: 'weights', gpuCount: 2, engineParams: '--max-model-len 512' });
  assert.equal(created.status, 201);
  await waitFor(() => argvFiles().length === 1 && existsSync(join(dir, 'probes')) && readFileSync(join(dir, 'probes'), 'utf8').length >= 2, {
    what: 'fake vllm started and probed',
  });
  const starting = await show('v');
  assert.equal(starting.readyReplicas, 0, 'a 503 from /health keeps the replica starting');
  writeFileSync(join(dir, 'healthy'), '');
  await waitFor(async () => (await show('v')).status === 'ready', { what: 'ready after /health turns 200' });
  const replica = (await show('v')).replicaDetails.find((r: any) => r.state === 'ready');
  const seen = JSON.parse(readFileSync(join(dir, argvFiles()[0]), 'utf8'));
  const stored = (await t.api('GET', '/models/weights')).body.path;
  assert.deepEqual(seen.args, [
    'serve',
    stored,
    '--host',
    '127.0.0.1',
    '--port',
    String(replica.port),
    '--tensor-parallel-size',
    '2',
    '--served-model-name',
    'weights',
    '--max-model-len',
    '512',
  ]);
  assert.equal(seen.cuda, replica.gpus.join(','));
  assert.equal(seen.cuda.split(',').length, 2);
  const res = await fetch(`${t.url}/d/v/v1/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${created.body.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'weights', prompt: 'hi' }),
  });
  assert.equal((await res.json()).choices[0].text, ' from the fake vllm');
});

test('fake command engine: the template comes from --command, other params fill {params}; reserved vllm flags are refused', async () => {
  const params = `--command "${bin} serve {model} --port {port} --tp {gpuCount} {params}" --extra 1`;
  const r = await t.cli([
    'deployment',
    'create',
    'c',
    '--engine',
    'command',
    '--model-name',
    'some/hub-model',
    '--engine-params',
    params,
    '--wait',
    '--wait-timeout',
    '60',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const files = argvFiles().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).args);
  assert.ok(
    files.some((a) => JSON.stringify(a) === JSON.stringify(['serve', 'some/hub-model', '--port', a[3], '--tp', '1', '--extra', '1'])),
    JSON.stringify(files),
  );
  const bad = await t.api('POST', '/deployments', { name: 'bad', engine: 'vllm', modelName: 'weights', engineParams: '--port 9000' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /engineParams: --port is set by inferscale/);
  const help = await t.cli(['engine', 'params', 'vllm']);
  assert.match(help.stdout, /vllm serve \{model\} --host \{host\} --port \{port\} --tensor-parallel-size \{gpuCount\}/);
});
