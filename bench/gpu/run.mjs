#!/usr/bin/env node
// The GPU check's measurements (start it with bench/gpu/run.sh, which checks the machine first). A real
// inferscale server on its defaults (virtual GPUs off: the NVIDIA GPUs are detected) runs --engine llamacpp
// with --gpu cuda on the shared stories260K model and on any GGUF given by path, and reports: create -> first
// token, scale from zero -> first token, tokens/s on 1 and 8 streams, nvidia-smi memory per replica, and whether
// CUDA_VISIBLE_DEVICES gives each of two replicas one GPU. Every wait is bounded; results go to Markdown.
// BENCH_GPU_DRY_RUN=1 runs the same steps on the CPU with 2 virtual GPUs (to check the script without a GPU).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../dist/server/start-server.js';
import { machine } from '../lib/report.mjs';
import { streamCompletion } from '../lib/stream.mjs';

const DRY = process.env.BENCH_GPU_DRY_RUN === '1';
const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const OUT = resolve(outAt >= 0 ? argv[outAt + 1] : fileURLToPath(new URL('./results.md', import.meta.url)));
const extra = argv.filter((_, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
const STORIES = fileURLToPath(new URL('../../../shared/models/stories260K.gguf', import.meta.url));
const MODELS = [STORIES, ...extra.map((p) => resolve(p))];
for (const m of MODELS) if (!existsSync(m)) fail(`model file not found: ${m}`);
const BUDGET_S = Number(process.env.BENCH_GPU_BUDGET_S ?? 270);
const DEADLINE = Date.now() + BUDGET_S * 1000;
const PARAMS = `--parallel 8 --ctx-size 512${DRY ? ' --threads 1' : ' --gpu cuda'}`;
const STREAM_TOKENS = 128;

function fail(msg) {
  console.error(`bench/gpu: ${msg}`);
  process.exit(1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (ms) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const smi = (args) => execFileSync('nvidia-smi', args, { timeout: 20_000 }).toString().trim();
const rows = (csv) => (csv ? csv.split('\n').map((l) => l.split(',').map((x) => x.trim())) : []);
/** Polls `f` until it returns a value other than undefined/false, at most `ms` (and never past the deadline). */
async function until(what, f, ms = 120_000) {
  const end = Math.min(Date.now() + ms, DEADLINE);
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const report = [];
const note = (line) => {
  report.push(line);
  console.log(line);
};
const dataDir = mkdtempSync(join(tmpdir(), 'bench-gpu-'));
const s = await startServer({ port: 0, dataDir, log: () => {}, stopReplicasOnExit: true, ...(DRY ? { virtualGpus: 2, virtualGpuType: 'cpu' } : {}) });
const stopAll = async () => {
  await s.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
};
const guard = setTimeout(async () => {
  note(`\n**Stopped at the ${BUDGET_S} s bound: the results above are partial.**`);
  writeFileSync(OUT, `${report.join('\n')}\n`);
  await stopAll();
  process.exit(1);
}, DEADLINE - Date.now());

const api = async (method, path, body) => {
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
};
const stream = (name, key, maxTokens, t0) =>
  streamCompletion(`${s.url}/d/${name}/v1/completions`, key, { prompt: 'Once upon a time', max_tokens: maxTokens, temperature: 0 }, t0);
const firstToken = (name, key, t0) =>
  until('the first token', async () => {
    const r = await stream(name, key, 1, t0).catch(() => ({ ok: false }));
    return r.ok ? r.firstMs : undefined;
  });
const deployment = (name) => api('GET', `/deployments/${name}`);
const ready = async (name, n) => {
  const d = await deployment(name);
  const live = d.replicaDetails.filter((r) => r.state === 'ready');
  if (d.replicaDetails.some((r) => r.state === 'failed'))
    throw new Error(`a replica failed: ${(await api('GET', `/deployments/${name}/logs?tail=20`)).lines.join('\n')}`);
  return live.length === n ? live : undefined;
};
/** MiB of GPU memory per process id, and the GPU index each process uses (nvidia-smi). */
function gpuProcesses() {
  if (DRY) return new Map();
  const index = new Map(rows(smi(['--query-gpu=index,uuid', '--format=csv,noheader'])).map(([i, u]) => [u, Number(i)]));
  const out = new Map();
  for (const [pid, uuid, mem] of rows(smi(['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits']))) {
    const p = out.get(Number(pid)) ?? { gpus: [], mib: 0 };
    p.gpus.push(index.get(uuid));
    p.mib += Number(mem) || 0;
    out.set(Number(pid), p);
  }
  return out;
}
const envOf = (pid, v) => {
  try {
    return (
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((l) => l.startsWith(`${v}=`))
        ?.slice(v.length + 1) ?? '(unset)'
    );
  } catch {
    return '(unreadable)';
  }
};

let code = 0;
try {
  const gpus = (await api('GET', '/gpus')).gpus;
  if (!DRY && !gpus.some((g) => !g.virtual)) throw new Error('the server detected no NVIDIA GPU');
  note(`# GPU check: --engine llamacpp on CUDA\n`);
  note(`${machine()} ${DRY ? 'DRY RUN on the CPU (BENCH_GPU_DRY_RUN=1): no GPU numbers.' : ''}`);
  note(
    `GPUs detected by the server: ${gpus.map((g) => `${g.index}: ${g.product} (${g.memoryMb} MiB)`).join('; ')}. Engine params \`${PARAMS}\`; streams of ${STREAM_TOKENS} tokens, temperature 0.\n`,
  );
  let twoReplicas = `not checkable: the machine has ${gpus.length} GPU${gpus.length === 1 ? '' : 's'} (needs 2 or more)`;
  for (const [i, path] of MODELS.entries()) {
    const model = `m${i}`;
    const name = `gpu-${i}`;
    await api('POST', '/models', { name: model, from: path });
    await until(`model ${basename(path)} stored`, async () => (await api('GET', `/models/${model}`)).state === 'ready', 120_000);
    let t = performance.now();
    const key = (await api('POST', '/deployments', { name, modelName: model, engine: 'llamacpp', engineParams: PARAMS, gpuType: gpus[0].type, gpuCount: 1 }))
      .apiKey;
    const createMs = await firstToken(name, key, t);
    const [replica] = await until('the replica ready', () => ready(name, 1));
    const loaded = (await api('GET', `/deployments/${name}/logs?tail=50`)).lines.find((l) => l.includes('llama.cpp loaded')) ?? '(no load line in the log)';
    const one = await stream(name, key, STREAM_TOKENS);
    const oneTps = one.tokens / ((one.totalMs - one.firstMs) / 1000);
    t = performance.now();
    const eight = await Promise.all(Array.from({ length: 8 }, () => stream(name, key, STREAM_TOKENS)));
    const eightTps = eight.reduce((a, r) => a + r.tokens, 0) / ((performance.now() - t) / 1000);
    const mem = gpuProcesses().get(replica.pid);
    await api('POST', `/deployments/${name}/scale`, { replicas: 0 });
    await until('scale to zero', async () => (await deployment(name)).status === 'stopped', 60_000);
    t = performance.now();
    await api('POST', `/deployments/${name}/scale`, { replicas: 1 });
    const zeroMs = await firstToken(name, key, t);
    if (gpus.length >= 2 && twoReplicas.startsWith('not')) {
      await api('POST', `/deployments/${name}/scale`, { replicas: 2 });
      const two = await until('two replicas ready', () => ready(name, 2));
      await Promise.all([0, 1, 2, 3].map(() => stream(name, key, 16)));
      const procs = gpuProcesses();
      const seen = two.map((r) => ({ pid: r.pid, held: r.gpus, env: envOf(r.pid, 'CUDA_VISIBLE_DEVICES'), on: procs.get(r.pid)?.gpus ?? [] }));
      const isolated =
        seen.every((x) => x.held.length === 1 && x.env === String(x.held[0]) && (DRY || (x.on.length === 1 && x.on[0] === x.held[0]))) &&
        new Set(seen.map((x) => x.held[0])).size === 2;
      twoReplicas = `${isolated ? 'yes' : '**NO**'}: ${seen.map((x) => `pid ${x.pid} holds GPU ${x.held.join(',')}, CUDA_VISIBLE_DEVICES=${x.env}, nvidia-smi sees it on GPU ${x.on.join(',') || 'none'}`).join('; ')}`;
      if (!isolated) code = 1;
    }
    await api('DELETE', `/deployments/${name}`);
    await until('the replicas gone', () => s.store.listLiveReplicas().length === 0, 60_000);
    note(`## ${basename(path)}\n`);
    note(`Replica log: \`${loaded.replace(/`/g, "'")}\`\n`);
    note('| measure | value |\n|---|---|');
    note(`| create -> first streamed token (model stored) | ${fmt(createMs)} |`);
    note(`| scale from zero: scale 0 -> 1 -> first streamed token | ${fmt(zeroMs)} |`);
    note(`| 1 stream, tokens/s after the first token | ${oneTps.toFixed(0)} tok/s (${one.tokens} tokens) |`);
    note(`| 8 concurrent streams (--parallel 8), total tokens/s | ${eightTps.toFixed(0)} tok/s |`);
    note(
      `| nvidia-smi GPU memory of the replica (pid ${replica.pid}) | ${DRY ? 'n/a (dry run)' : mem ? `${mem.mib} MiB on GPU ${mem.gpus.join(',')}` : '**not on any GPU** (CPU fallback?)'} |\n`,
    );
    if (!DRY && !mem) code = 1;
  }
  note(`## CUDA_VISIBLE_DEVICES isolation (two replicas)\n\n${twoReplicas}`);
} catch (e) {
  note(`\n**Failed:** ${e.message}`);
  code = 1;
}
clearTimeout(guard);
writeFileSync(OUT, `${report.join('\n')}\n`);
console.log(`\nwritten to ${OUT}`);
await stopAll();
process.exit(code);
