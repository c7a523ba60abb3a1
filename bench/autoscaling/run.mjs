#!/usr/bin/env node
/**
 * Autoscaling benchmark: every policy on the three shared production traces, through the simulator.
 *   npm run build && node bench/autoscaling/run.mjs [code] [functions] [servegen] [--no-docs]
 * Writes bench/autoscaling/results/<trace>.{json,html} and the "## Autoscaling" section of docs/benchmarks.md.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AUTOSCALE, specFromFlagString } from '../../dist/autoscaler/spec.js';
import { parseSimEngineParams } from '../../dist/engines/sim/params.js';
import { loadTrace, renderReport, simulate } from '../../dist/simulator/index.js';
import { sectionMarkdown, updateSection } from './docs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const traces = join(root, '..', 'shared', 'traces');

/** One GPU (A100 80 GB) serving a 7-8B model (Llama-3-8B class, bf16) with vLLM; see docs/benchmarks.md. */
const ENGINE_FLAGS = '--ttft-ms 20 --prefill-ms-per-token 0.1 --itl-ms 12 --max-num-seqs 32 --slowdown-per-seq 0.02 --jitter 0.1';
const AUTOSCALE_FLAGS = '--min 0 --max 64 --target-ongoing-requests 24';
/**
 * idleProbeMs: at zero and quiet the simulator asks a policy this often instead of every second (its fast idle
 * path); 8 s is the coarsest probe that still serves KPA's 2 s tick and sees a pre-warm within 8 s of a
 * 60 s cold start (the live controller asks every second). The peers only leave zero on a request, which ends
 * the quiet stretch at once, so their results are the same with any probe.
 */
const SETTINGS = { coldStartMs: 60_000, sloTtftMs: 2_000, pricePerGpuHour: 2, gpuCount: 1, seed: 1, queueTimeoutMs: 120_000, idleProbeMs: 8_000 };

const CASES = [
  {
    key: 'code',
    short: 'Azure code',
    title: 'Azure LLM code trace (1 h, 8,819 requests, one deployment)',
    path: join(traces, 'azure-llm-code-2023.csv'),
    load: {},
    cli: '--trace ../shared/traces/azure-llm-code-2023.csv',
  },
  {
    key: 'functions',
    short: 'Azure Functions',
    title: 'Azure Functions, all 500 functions (8 h, 3,037,902 invocations, one deployment per function)',
    path: join(traces, 'azure-functions-500-invocations.csv'),
    load: { seed: 1 },
    cli: '--trace ../shared/traces/azure-functions-500-invocations.csv',
  },
  {
    key: 'servegen',
    short: 'ServeGen',
    title: 'ServeGen m-small, clients 2, 7, 13, 16, 21, 24 as one deployment, days 3-6 (96 h, ~4.1 M requests)',
    path: join(traces, 'servegen-m-small'),
    load: { seed: 1, chunks: [2, 7, 13, 16, 21, 24], startMs: 48 * 3_600_000, durationMs: 96 * 3_600_000 },
    cli: '--trace ../shared/traces/servegen-m-small --chunks 2,7,13,16,21,24 --start 48h --duration 96h',
  },
];

function machine() {
  const cpu = existsSync('/proc/cpuinfo') ? (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?') : cpus()[0]?.model ?? '?';
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc').toString().trim();
  } catch {}
  return { nproc, cpu: cpu.trim(), node: process.version, load: loadavg().map((x) => x.toFixed(1)).join(' ') };
}

/** The aim, checked: ours meets the SLO, at least every peer's SLO, fewest GPU-h among those meeting it, <= 1.25x foresight. */
function verdict(report) {
  const ours = report.policies.find((p) => p.name === 'ours');
  if (!ours) return [];
  const slo = 0.99;
  // peers: the other autoscalers (static-peak is the over-provisioned yardstick, reported apart)
  const peers = report.policies.filter((p) => p.name !== 'ours' && !p.name.startsWith('static-'));
  const better = peers.filter((p) => p.sloAttainment > ours.sloAttainment).map((p) => p.name);
  const meeting = report.policies.filter((p) => p.sloAttainment >= slo).sort((a, b) => a.gpuHours - b.gpuHours);
  const cheapest = meeting[0];
  return [
    `SLO attainment >= 99%: ${ours.sloAttainment >= slo ? 'yes' : 'NO'} (${(ours.sloAttainment * 100).toFixed(2)}%)`,
    `at least every autoscaling peer's attainment: ${better.length === 0 ? 'yes' : `NO (higher: ${better.join(', ')})`}`,
    `fewest GPU-hours among all policies meeting 99%: ${cheapest?.name === 'ours' ? 'yes' : cheapest ? `NO (${cheapest.name}: ${cheapest.gpuHours.toFixed(2)} vs ours ${ours.gpuHours.toFixed(2)})` : 'no policy meets 99%'}`,
    `within 1.25x of the foresight reference: ${ours.vsForesight <= 1.25 ? 'yes' : 'NO'} (${ours.vsForesight.toFixed(2)}x)`,
  ];
}

async function main() {
  const args = process.argv.slice(2);
  const wanted = args.filter((a) => !a.startsWith('--'));
  const cases = CASES.filter((c) => wanted.length === 0 || wanted.includes(c.key));
  const engine = parseSimEngineParams(ENGINE_FLAGS);
  const spec = specFromFlagString(AUTOSCALE_FLAGS);
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const runs = [];
  const m = machine();
  for (const c of cases) {
    if (!existsSync(c.path)) {
      console.error(`skip ${c.key}: ${c.path} not found`);
      continue;
    }
    const t0 = performance.now();
    const trace = loadTrace(c.path, c.load);
    const loadS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const report = await simulate({ trace, engine, spec, ...SETTINGS });
    const simS = (performance.now() - t1) / 1000;
    writeFileSync(join(out, `${c.key}.json`), renderReport(report, 'json'));
    writeFileSync(join(out, `${c.key}.html`), renderReport(report, 'html'));
    console.log(`\n== ${c.title}\n`);
    console.log(renderReport(report, 'table'));
    console.log(`load ${loadS.toFixed(2)} s, simulate ${simS.toFixed(2)} s`);
    for (const line of verdict(report)) console.log(`  ours: ${line}`);
    runs.push({ c, report, loadS, simS, verdict: verdict(report) });
  }
  if (!args.includes('--no-docs') && runs.length === CASES.length) {
    const docs = join(root, 'docs', 'benchmarks.md');
    const section = sectionMarkdown({ runs, machine: m, engineFlags: ENGINE_FLAGS, autoscaleFlags: AUTOSCALE_FLAGS, settings: SETTINGS, defaults: DEFAULT_AUTOSCALE });
    mkdirSync(dirname(docs), { recursive: true });
    writeFileSync(docs, updateSection(existsSync(docs) ? readFileSync(docs, 'utf8') : '', section));
    console.log(`\nwrote ${docs} (## Autoscaling)`);
  }
}

await main();
