#!/usr/bin/env node
/**
 * When should ours let a replica sleep, given the wake time against the TTFT SLO? (issue #16, the "same
 * attainment" part of the aim.) Ours under five ways, on traces where deployments go idle: dedicated (stop,
 * a cold start back); sleep with a 3 s wake (above the 2 s SLO) and the user's 5 min bound (the tier rule:
 * a miss through a wake above the SLO costs what a cold start's does, src/autoscaler/tiers.ts missCostMs);
 * the same with the bound shortened to 30 s (sleep early); a 1 s wake (within the SLO) with the SLO given to
 * ours (--ttft-p95 2s: the rule lets it sleep as soon as its idle plan allows) against dedicated with the
 * same SLO. GPU-hours are the packed pool's (elastic, 16 GB replicas on 80 GB GPUs). Writes
 * bench/packing/results/tiers.json (read by run.mjs into docs/benchmarks.md).
 *
 *   npm run build && node bench/packing/tiers-study.mjs [--out tiers.json]
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specFromFlagString } from '../../dist/autoscaler/flags.js';
import { parseSimEngineParams } from '../../dist/engines/sim/params.js';
import { loadTrace, onOffTrace, simulateOne, traceFromArrivals } from '../../dist/simulator/index.js';
import { replayPool } from '../../dist/simulator/pool-model.js';
import { mulberry32 } from '../../dist/simulator/random.js';
import { machineFacts } from '../lib/report.mjs';
import { PROFILES, SETTINGS, TRACES } from '../autoscaling/scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const HOUR = 3_600_000;
const ELASTIC = { gpus: 4096, gpuMemoryMb: 80 * 1024, replicaMemoryMb: 16 * 1024, policy: 'binpack' };

/**
 * Sparse functions: 40 deployments for 6 h, each Poisson at a rate drawn log-uniformly between one request
 * per 10 s and one per 15 min (seeded): idle gaps from seconds to an hour, around the 5 min bound.
 */
function sparseFunctions(seed) {
  const rand = mulberry32(seed);
  const arrivals = [];
  for (let d = 0; d < 40; d++) {
    const rate = Math.exp(Math.log(1 / 10) + rand() * (Math.log(1 / 900) - Math.log(1 / 10)));
    for (let t = -Math.log(1 - rand()) / rate; t * 1000 < 6 * HOUR; t += -Math.log(1 - rand()) / rate) {
      arrivals.push({
        at: Math.round(t * 1000),
        promptTokens: 200 + Math.floor(rand() * 800),
        completionTokens: 50 + Math.floor(rand() * 250),
        deployment: `f${d}`,
      });
    }
  }
  arrivals.sort((a, b) => a.at - b.at);
  return traceFromArrivals(arrivals, {
    name: `sparse-functions-seed${seed}`,
    description: '40 Poisson functions, 1/10 s to 1/15 min, 6 h',
    durationMs: 6 * HOUR,
  });
}

/** The Azure functions with at most `max` invocations each (the idle ones: sleeping is for them), every `step`-th. */
function azureLight(max, step) {
  const full = loadTrace(join(TRACES, 'azure-functions-500-invocations.csv'), { seed: SETTINGS.seed });
  const counts = new Map();
  for (let i = 0; i < full.at.length; i++) counts.set(full.deployment[i], (counts.get(full.deployment[i]) ?? 0) + 1);
  const keep = new Set(
    [...counts]
      .filter(([, n]) => n <= max)
      .map(([k]) => k)
      .filter((_, j) => j % step === 0),
  );
  const arrivals = [];
  for (let i = 0; i < full.at.length; i++) {
    const k = full.deployment[i];
    if (keep.has(k))
      arrivals.push({ at: full.at[i], promptTokens: full.promptTokens[i], completionTokens: full.completionTokens[i], deployment: full.deployments[k] });
  }
  return traceFromArrivals(arrivals, {
    name: `azure-functions-light-${keep.size}`,
    description: `${keep.size} Azure functions with at most ${max} invocations`,
    durationMs: full.durationMs,
  });
}

const TRACE_SET = [
  { key: 'azure-light', make: () => azureLight(5000, 2) },
  { key: 'sparse-1', make: () => sparseFunctions(1) },
  { key: 'sparse-2', make: () => sparseFunctions(2) },
  { key: 'azure-code', make: () => loadTrace(join(TRACES, 'azure-llm-code-2023.csv'), { seed: SETTINGS.seed }) },
  { key: 'on-off 2 min / 6 min', make: () => onOffTrace({ rate: 0.5, onMs: 120_000, offMs: 360_000, durationMs: 6 * HOUR, seed: 1 }) },
];

const gitCommit = () => execSync('git rev-parse --short HEAD', { cwd: here }).toString().trim();

const r2 = (x) => Math.round(x * 100) / 100;

export function studyRows() {
  const profile = PROFILES.a100;
  const engine = parseSimEngineParams(profile.engineFlags);
  const spec = specFromFlagString(profile.autoscaleFlags);
  const withSlo = specFromFlagString(`${profile.autoscaleFlags} --ttft-p95 ${SETTINGS.sloTtftMs / 1000}s`);
  const common = { engine, ...SETTINGS, workers: 0 };
  const ways = [
    { key: 'dedicated', spec },
    { key: 'sleep 3 s, bound 5 min (rule)', spec, sleep: { wakeMs: 3000, maxSleepers: 1 } },
    { key: 'sleep 3 s, bound 30 s', spec: { ...spec, scaleToZeroAfterMs: 30_000 }, sleep: { wakeMs: 3000, maxSleepers: 1 } },
    { key: 'dedicated, SLO given', spec: withSlo },
    { key: 'sleep 1 s, SLO given (rule: sleep early)', spec: withSlo, sleep: { wakeMs: 1000, maxSleepers: 1 } },
  ];
  const rows = [];
  for (const tr of TRACE_SET) {
    const trace = tr.make();
    for (const w of ways) {
      const t = performance.now();
      const r = simulateOne(trace, 'ours', { ...common, spec: w.spec, sleep: w.sleep });
      const pool = replayPool(r.deployments, ELASTIC, trace.durationMs);
      const row = {
        trace: tr.key,
        deployments: trace.deployments.length,
        requests: trace.at.length,
        way: w.key,
        attainment: r.report.sloAttainment,
        poolGpuHours: r2(pool.gpuHours),
        coldStarts: r.report.coldStarts,
        wakes: r.deployments.reduce((s, d) => s + (d.wakes ?? 0), 0),
        wallS: r2((performance.now() - t) / 1000),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  const facts = machineFacts();
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : 'tiers.json';
  const rows = studyRows();
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', out),
    `${JSON.stringify({ run: { ...facts, commit: gitCommit(), wallS: r2((performance.now() - t0) / 1000) }, rows }, null, 2)}\n`,
  );
}
