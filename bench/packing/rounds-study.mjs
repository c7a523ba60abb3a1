#!/usr/bin/env node
/**
 * Does feeding the pool's verdicts back (src/simulator/pool/feedback.ts) settle, and after how many rounds?
 * Every `step`-th of the 500 Azure functions on a pool of 80 GB GPUs scaled down with them (16 / step GPUs,
 * the same GPUs per function as the 16 x 80 GB), packed and packed + sleeping, for each policy: per
 * round, the deployments the replay still changed, the attainment, the starts that waited and their hours,
 * the evictions. Writes bench/packing/results/rounds.json.
 *
 *   npm run build && node bench/packing/rounds-study.mjs [--step 4] [--rounds 4] [--policies ours,kpa] [--packed-only] [--out rounds.json]
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specFromFlagString } from '../../dist/autoscaler/flags.js';
import { parseSimEngineParams } from '../../dist/engines/sim/params.js';
import { loadTrace, simulateOne, traceFromArrivals } from '../../dist/simulator/index.js';
import { simulateOnPool } from '../../dist/simulator/simulate.js';
import { machineFacts } from '../lib/report.mjs';
import { PROFILES, SETTINGS, TRACES } from '../autoscaling/scenarios.mjs';
import { POOL, WAKE_MS } from './run.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { step: 4, rounds: 4, policies: ['ours', 'kpa'], out: 'rounds.json', sleeping: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--step') o.step = Number(argv[++i]);
    else if (argv[i] === '--rounds') o.rounds = Number(argv[++i]);
    else if (argv[i] === '--policies') o.policies = argv[++i].split(',').filter(Boolean);
    else if (argv[i] === '--out') o.out = argv[++i];
    else if (argv[i] === '--packed-only') o.sleeping = false;
    else
      throw new Error(
        `unknown argument ${argv[i]} (usage: node bench/packing/rounds-study.mjs [--step 4] [--rounds 4] [--policies ours,kpa] [--packed-only] [--out rounds.json])`,
      );
  }
  if (!(Number.isInteger(o.step) && o.step >= 1 && o.step <= 16)) throw new Error(`--step must be a whole number from 1 to 16, got ${o.step}`);
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error(`--rounds must be a whole number >= 1, got ${o.rounds}`);
  return o;
}

/** Every `step`-th function of the 500, and whether the busiest of the 500 is among them. */
function everyNth(step) {
  const full = loadTrace(join(TRACES, 'azure-functions-500-invocations.csv'), { seed: SETTINGS.seed });
  const counts = new Array(full.deployments.length).fill(0);
  for (let i = 0; i < full.at.length; i++) counts[full.deployment[i]]++;
  const busiest = counts.indexOf(Math.max(...counts));
  const arrivals = [];
  for (let i = 0; i < full.at.length; i++) {
    const k = full.deployment[i];
    if (k % step === 0)
      arrivals.push({ at: full.at[i], promptTokens: full.promptTokens[i], completionTokens: full.completionTokens[i], deployment: full.deployments[k] });
  }
  const trace = traceFromArrivals(arrivals, {
    name: `azure-functions-every-${step}`,
    description: `every ${step}th of the 500 Azure functions`,
    durationMs: full.durationMs,
  });
  return { trace, busiestIn: busiest % step === 0, busiestShare: counts[busiest] / full.at.length };
}

const r4 = (x) => Math.round(x * 10_000) / 10_000;

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const { trace, busiestIn, busiestShare } = everyNth(o.step);
  const profile = PROFILES.a100;
  const common = { engine: parseSimEngineParams(profile.engineFlags), spec: specFromFlagString(profile.autoscaleFlags), ...SETTINGS, workers: 0 };
  const pool = { ...POOL, gpus: Math.max(1, Math.round(POOL.gpus / o.step)) };
  const rows = [];
  for (const policy of o.policies) {
    const ways = [
      ['packed', undefined],
      ['packed + sleeping', { wakeMs: WAKE_MS, maxSleepers: 1 }],
    ];
    for (const [way, sleep] of o.sleeping ? ways : ways.slice(0, 1)) {
      const t = performance.now();
      const c = { ...common, sleep, poolRounds: o.rounds };
      const first = simulateOne(trace, policy, c);
      const fed = simulateOnPool(trace, policy, first.deployments, pool, c);
      const row = {
        policy,
        way,
        deployments: trace.deployments.length,
        gpus: pool.gpus,
        rounds: fed.trail.map((r) => ({ ...r, attainment: r4(r.attainment), pendingHours: r4(r.pendingHours) })),
        wallS: r4((performance.now() - t) / 1000),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const run = {
    ...machineFacts(),
    commit: execSync('git rev-parse --short HEAD', { cwd: here }).toString().trim(),
    step: o.step,
    busiestIn,
    busiestShare: r4(busiestShare),
    wallS: r4((performance.now() - t0) / 1000),
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', o.out), `${JSON.stringify({ run, pool, rows }, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
