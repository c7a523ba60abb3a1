#!/usr/bin/env node
// Engines benchmark (CPU): the real tiny model (shared/models/stories260K.gguf) on --engine llamacpp.
//  - cold start: deployment create -> first streamed token, with the model already in the store
//  - scale from zero (model stored, nothing downloaded) -> first streamed token
//  - tokens/s through the gateway: one stream, and 4 concurrent streams (--parallel 4)
//  - the thread setting: 16 tokens generated in-process with threads 1, 2, 4
// Prints a markdown section; --write replaces "## Engines" in docs/benchmarks.md. Run `npm run build` first.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../dist/server/start-server.js';
import { loadRuntime } from '../../dist/engines/llamacpp/runtime.js';
import { parseLlamaCppParams, defaultThreads } from '../../dist/engines/llamacpp/params.js';
import { machine, updateSection } from '../lib/report.mjs';
import { streamCompletion } from '../lib/stream.mjs';

const MODEL = fileURLToPath(new URL('../../../shared/models/stories260K.gguf', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DOCS = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
if (!existsSync(MODEL)) throw new Error(`missing ${MODEL}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

const load = loadavg()[0];
const dataDir = mkdtempSync(join(tmpdir(), 'bench-engines-'));
const s = await startServer({ port: 0, dataDir, virtualGpus: 2, virtualGpuType: 'cpu', log: () => {}, stopReplicasOnExit: true });
const api = async (method, path, body) => {
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
};
let key;
let name = 'tiny';
/** Streams one completion; resolves with the time of the first token and the token count. */
const stream = (maxTokens, t0 = performance.now()) =>
  streamCompletion(`${s.url}/d/${name}/v1/completions`, key, { model: 'stories', prompt: 'Once upon a time', max_tokens: maxTokens, temperature: 0 }, t0);
async function firstToken(t0) {
  for (;;) {
    const r = await stream(1, t0);
    if (r.ok) return r.firstMs;
    await sleep(20);
  }
}
async function waitStatus(status) {
  while ((await api('GET', `/deployments/${name}`)).status !== status) await sleep(50);
}

const PARAMS = '--parallel 4';
let t = performance.now();
await api('POST', '/models', { name: 'stories', from: MODEL });
while ((await api('GET', '/models/stories')).state !== 'ready') await sleep(20);
const storeMs = performance.now() - t;

const cold = [];
const warm = [];
for (let i = 0; i < ROUNDS; i++) {
  name = `tiny-${i}`;
  t = performance.now();
  key = (await api('POST', '/deployments', { name, modelName: 'stories', engine: 'llamacpp', engineParams: PARAMS, gpuType: 'cpu' })).apiKey;
  cold.push(await firstToken(t));
  await api('POST', `/deployments/${name}/scale`, { replicas: 0 });
  await waitStatus('stopped');
  t = performance.now();
  await api('POST', `/deployments/${name}/scale`, { replicas: 1 });
  warm.push(await firstToken(t));
  if (i < ROUNDS - 1) await api('DELETE', `/deployments/${name}`);
}

const single = [];
for (let i = 0; i < ROUNDS; i++) {
  const r = await stream(200);
  single.push({ tps: r.tokens / ((r.totalMs - r.firstMs) / 1000), tokens: r.tokens, firstMs: r.firstMs });
}
const conc = [];
for (let i = 0; i < ROUNDS; i++) {
  t = performance.now();
  const rs = await Promise.all([0, 1, 2, 3].map(() => stream(200)));
  conc.push(rs.reduce((a, r) => a + r.tokens, 0) / ((performance.now() - t) / 1000));
}
await api('DELETE', `/deployments/${name}`);
while (s.store.listLiveReplicas().length) await sleep(50);
await s.close();
rmSync(dataDir, { recursive: true, force: true });

const threads = [];
for (const n of [1, 2, 4]) {
  const rt = await loadRuntime({ modelPath: MODEL, params: parseLlamaCppParams(`--threads ${n} --parallel 1 --gpu cpu`), log: () => {} });
  const t1 = performance.now();
  const r = await rt.generate(
    { kind: 'completion', prompt: 'Once upon a time', maxTokens: 16, maxTokensGiven: true, temperature: 0, stop: [] },
    { signal: new AbortController().signal, onText: () => {} },
  );
  threads.push({ n, ms: performance.now() - t1, tokens: r.completionTokens });
  await rt.close();
}

const med = (xs, f) => median(xs.map(f));
const body = `
Command: \`npm run build && node bench/engines/run.mjs --write\` (npm script \`bench:engines\`), ${ROUNDS} rounds, medians.
${machine()} CPU only; model \`stories260K.gguf\` (1.2 MB, 260K parameters) on \`--engine llamacpp\` (node-llama-cpp, prebuilt CPU binary), engine params \`${PARAMS}\`, default threads here ${defaultThreads()}; reconcile tick 500 ms (the server default); 1-minute load average at the start ${load.toFixed(1)} (a shared machine: absolute times move with it).

| measure | median | range |
|---|---|---|
| model create from a local file (copy + sha256) to ready | ${fmt(storeMs)} | one run |
| cold start: deployment create -> first streamed token (model stored) | ${fmt(median(cold))} | ${fmt(Math.min(...cold))} - ${fmt(Math.max(...cold))} |
| scale from zero: scale 0 -> 1 -> first streamed token (nothing downloaded) | ${fmt(median(warm))} | ${fmt(Math.min(...warm))} - ${fmt(Math.max(...warm))} |
| one stream through the gateway, tokens/s after the first token | ${med(single, (x) => x.tps).toFixed(0)} tok/s (${med(single, (x) => x.tokens)} tokens) | ${Math.min(...single.map((x) => x.tps)).toFixed(0)} - ${Math.max(...single.map((x) => x.tps)).toFixed(0)} |
| 4 concurrent streams (--parallel 4), total tokens/s | ${median(conc).toFixed(0)} tok/s | ${Math.min(...conc).toFixed(0)} - ${Math.max(...conc).toFixed(0)} |

Threads (16 tokens, in-process, one sequence, one run each): ${threads.map((x) => `threads ${x.n}: ${x.ms.toFixed(0)} ms (${(x.tokens / (x.ms / 1000)).toFixed(x.ms > 1000 ? 1 : 0)} tok/s)`).join('; ')}.
With more threads than idle cores llama.cpp's threads spin against each other and the rest of the machine; hence the
default of min(4, CPUs/2) (see docs/engines.md).
`;
process.stdout.write(`## Engines\n${body}`);
if (process.argv.includes('--write')) updateSection(DOCS, '## Engines', body);
