#!/usr/bin/env node
/**
 * Corpus autoscaling benchmark: every policy on every scenario of the corpus (each ServeGen m-small client,
 * the six-client mix, the 500 Azure functions, the Azure code trace, seeded generators) under two replica
 * profiles, ours with and without a TTFT SLO; scored against the best autoscaling peer and the foresight
 * reference.
 *
 *   npm run build && node bench/autoscaling/run.mjs [--quick] [--only REGEX] [--profile a100|small]
 *       [--policies ours,kpa,...] [--jobs N] [--json PATH] [--no-docs]
 *
 * --quick: 8 ServeGen clients, the code trace and the generators, A100 profile only, no functions.
 * A full run writes bench/autoscaling/results/corpus.json and the "## Autoscaling" section of
 * docs/benchmarks.md; a partial one writes only what --json names.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { POLICY_NAMES } from '../../dist/simulator/policies.js';
import { machineFacts, updateSection } from '../lib/report.mjs';
import { AIMS, REACHED, scoreRow, summarize } from './corpus.mjs';
import { sectionMarkdown } from './docs.mjs';
import { allScenarios, PROFILES, QUICK, runJob, SETTINGS } from './scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const USAGE =
  'usage: node bench/autoscaling/run.mjs [--quick] [--only REGEX] [--profile a100|small] [--policies ours,kpa,...] [--jobs N] [--json PATH] [--no-docs]';

function parseArgs(argv) {
  const o = { quick: false, only: undefined, docs: true, policies: [...POLICY_NAMES], json: undefined, profiles: undefined, jobs: availableParallelism() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--no-docs') o.docs = false;
    else if (a === '--only') o.only = new RegExp(value());
    else if (a === '--json') o.json = value();
    else if (a === '--jobs') o.jobs = Math.max(1, Number(value()));
    else if (a === '--profile') o.profiles = value().split(',');
    else if (a === '--policies')
      o.policies = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const p of o.policies) if (!POLICY_NAMES.includes(p)) throw new Error(`unknown policy ${p} (known: ${POLICY_NAMES.join(', ')})`);
  if (!o.policies.includes('ours')) throw new Error('--policies must include ours');
  o.profiles ??= o.quick ? ['a100'] : Object.keys(PROFILES);
  for (const p of o.profiles) if (!PROFILES[p]) throw new Error(`unknown profile ${p} (known: ${Object.keys(PROFILES).join(', ')})`);
  o.full = !o.quick && !o.only && o.policies.length === POLICY_NAMES.length && o.profiles.length === Object.keys(PROFILES).length;
  return o;
}

const scoreOne = (r, slo) => (r.variants[slo].ours ? scoreRow(r, slo) : undefined);
const inQuick = (key) => QUICK.some((q) => (q.endsWith('-') ? key.startsWith(q) : key === q));

/** Runs the jobs on `n` worker threads, biggest first; `done(result)` as each finishes. */
async function runPool(jobs, n, policies, done) {
  const queue = [...jobs].sort((a, b) => b.scenario.estRequests - a.scenario.estRequests);
  const workers = Array.from({ length: Math.min(n, queue.length) }, () => new Worker(new URL('./worker.mjs', import.meta.url)));
  let id = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const my = ++id;
          const reply = await new Promise((resolve, reject) => {
            const onMessage = (m) => m.id === my && (w.off('error', reject), w.off('message', onMessage), resolve(m));
            w.on('message', onMessage);
            w.once('error', reject);
            w.postMessage({ id: my, key: job.scenario.key, profile: job.profile, policies });
          });
          if (reply.error) throw new Error(`${job.scenario.key}/${job.profile}: ${reply.error}`);
          done(reply.result);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const pct = (x) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const kreq = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(n));
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function jobLine(r, score) {
  const v = (slo) => {
    const row = score(r, slo);
    return row ? `${lpad(row.vsForesight.toFixed(2), 6)}x ${lpad(pct(row.ours.sloAttainment), 7)} ${pad(row.win ? 'WIN' : `(${row.winner})`, 11)}` : '';
  };
  const best = score(r, 'off')?.bestPeer;
  return (
    `${pad(r.key, 16)} ${pad(r.profile, 6)} ${lpad(kreq(r.requests), 6)} ${lpad(r.hours.toFixed(1), 5)} h ${lpad(r.foresightGpuHours.toFixed(1), 8)} ` +
    `| ${v('off')}| ${v('on')}| ${pad(best ? `${best.name} ${pct(best.sloAttainment)}` : '-', 17)} ${lpad(r.wall.totalS.toFixed(1), 6)} s`
  );
}
const HEADER = `${pad('scenario', 16)} ${pad('prof', 6)} ${lpad('req', 6)} ${lpad('span', 7)} ${lpad('fs GPU-h', 8)} | ${pad('no SLO: ours/fs  att  winner', 29)}| ${pad('SLO: ours/fs  att  winner', 29)}| ${pad('best peer', 17)} ${lpad('wall', 8)}`;

function printSummary(s) {
  const f = (d, digits = 2) => `p10 ${d.p10.toFixed(digits)}, median ${d.median.toFixed(digits)}, p90 ${d.p90.toFixed(digits)}, max ${d.max.toFixed(digits)}`;
  console.log(
    `\nwins: ${s.wins}/${s.count} = ${(s.winShare * 100).toFixed(1)}% (aim >= ${AIMS.winShare * 100}%: ${s.aims.winShare ? 'met' : 'NOT met'}); losses on attainment ${s.losses.attainment}, on GPU-hours ${s.losses.cost}`,
  );
  for (const [label, m] of [
    ['group', s.byGroup],
    ['profile', s.byProfile],
    ['ours SLO', s.bySlo],
  ]) {
    console.log(
      `  by ${label}: ${Object.entries(m)
        .map(([k, v]) => `${k} ${v.wins}/${v.count} (geomean ${v.geomean.toFixed(2)}x)`)
        .join(', ')}`,
    );
  }
  console.log(`geomean ours/foresight: ${s.geomean.toFixed(3)}x (aim <= ${AIMS.geomean}x: ${s.aims.geomean ? 'met' : 'NOT met'})`);
  console.log(`ours/foresight: ${f(s.vsForesight)}; worst: ${s.worstForesight.map((w) => `${w.name} ${w.vsForesight.toFixed(2)}x`).join(', ')}`);
  console.log(
    `attainment gap (best peer - ours, points): ${f(s.gapPp)}; worst: ${s.worstGap.map((w) => `${w.name} ${w.gapPp.toFixed(2)} (${w.bestPeer})`).join(', ')}`,
  );
  const r = s.runaway;
  console.log(
    `runaway (ours with SLO / without, where no autoscaler has ${REACHED * 100}% within the SLO): ${r.unreachable} scenario-profiles; ` +
      (r.worst ? `worst ${r.worst.name} ${r.worst.ratio.toFixed(2)}x; ` : '') +
      `over ${AIMS.runaway}x: ${r.over.length ? r.over.join(', ') : 'none'} (aim: none: ${s.aims.runaway ? 'met' : 'NOT met'}); ` +
      (r.worstAnyScenario ? `largest ratio anywhere ${r.worstAnyScenario.name} ${r.worstAnyScenario.ratio.toFixed(2)}x` : ''),
  );
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(2);
  }
  const m = machineFacts();
  console.log(`machine: ${m.nproc} cores, ${m.cpu}, Node ${m.node}, load ${m.load}, ${m.date}; ${o.jobs} worker threads`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let scenarios = allScenarios();
  if (o.quick) scenarios = scenarios.filter((s) => inQuick(s.key));
  const jobs = scenarios
    .flatMap((scenario) => o.profiles.map((profile) => ({ scenario, profile })))
    .filter((j) => !o.only || o.only.test(j.scenario.key) || o.only.test(`${j.scenario.key}/${j.profile}`));
  if (jobs.length === 0) throw new Error('no scenario selected');
  console.log(`${jobs.length} jobs (scenario x profile), policies ${o.policies.join(', ')}; ours also with --ttft-p95 at the measuring SLO\n`);
  const results = [];
  let done = 0;
  const report = (r) => {
    results.push(r);
    console.log(`[${lpad(++done, 3)}/${jobs.length}] ${jobLine(r, scoreOne)}`);
  };
  console.log(`        ${HEADER}`);
  // the multi-deployment functions scenario alone, on all cores through simulate()'s own worker pool
  const fnTimes = [];
  const traces = new Map();
  for (const j of jobs.filter((j) => j.scenario.group === 'functions')) {
    if (!traces.has(j.scenario.key)) traces.set(j.scenario.key, j.scenario.load());
    const trace = traces.get(j.scenario.key);
    const r = await runJob(j.scenario, PROFILES[j.profile], { policies: o.policies, workers: o.jobs, trace });
    fnTimes.push(
      `${j.profile}: all ${o.policies.length} policies ${r.wall.allPoliciesS.toFixed(1)} s (aim < 60 s), ours with SLO ${r.wall.oursSloS.toFixed(1)} s`,
    );
    report(r);
  }
  traces.clear();
  await runPool(
    jobs.filter((j) => j.scenario.group !== 'functions'),
    o.jobs,
    o.policies,
    report,
  );
  const wallS = (performance.now() - t0) / 1000;
  // all threads of the process: what the run costs whatever else shares the machine
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const order = new Map(jobs.map((j, i) => [`${j.scenario.key}/${j.profile}`, i]));
  results.sort((a, b) => order.get(`${a.key}/${a.profile}`) - order.get(`${b.key}/${b.profile}`));

  console.log(`\n${HEADER}`);
  for (const r of results) console.log(jobLine(r, scoreOne));
  const s = summarize(results);
  printSummary(s);
  for (const line of fnTimes) console.log(`500 functions, ${line}`);
  console.log(`total wall time ${wallS.toFixed(0)} s (${(wallS / 60).toFixed(1)} min) on ${o.jobs} worker threads; CPU time ${cpuS.toFixed(0)} s`);

  const run = {
    machine: m,
    wallS,
    cpuS,
    jobs: o.jobs,
    functionTimes: fnTimes,
    quick: o.quick,
    command: `node bench/autoscaling/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const jsonPath = o.json ?? (o.full ? join(here, 'results', 'corpus.json') : undefined);
  if (jsonPath) {
    mkdirSync(dirname(jsonPath), { recursive: true });
    const { rows, ...summary } = s;
    const verdicts = rows.map(({ name, vsForesight, gapPp, bestPeer, winner, win, why }) => ({
      name,
      vsForesight,
      gapPp: +gapPp.toFixed(4),
      bestPeer: bestPeer?.name,
      winner,
      win,
      why,
    }));
    // one scenario x profile (and one verdict) a line, so that a re-run diffs line by line
    const lines = (xs) => `[\n${xs.map((x) => JSON.stringify(x)).join(',\n')}\n]`;
    const head = JSON.stringify({ run, settings: SETTINGS, profiles: PROFILES, summary }, null, 1).replace(/\n}$/, '');
    writeFileSync(jsonPath, `${head},\n "scenarios": ${lines(results)},\n "rows": ${lines(verdicts)}\n}\n`);
    console.log(`wrote ${jsonPath}`);
  }
  if (o.full && o.docs) {
    const docs = join(root, 'docs', 'benchmarks.md');
    updateSection(docs, '## Autoscaling', sectionMarkdown({ results, summary: s, run }));
    console.log(`wrote ${docs} (## Autoscaling)`);
  }
}

await main();
