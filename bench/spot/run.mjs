#!/usr/bin/env node
/**
 * Spot capacity benchmark (issue #17): the ServeGen mix under on-demand, spot only, mixed (ours), SkyServe's
 * rule with ours' count, and SkyServe whole, over seeds and spot availability presets spanning the published
 * measurements; cost, attainment, preemptions, retried and lost requests, fallbacks (median and worst).
 *
 *   npm run build && node bench/spot/run.mjs [--jobs N] [--json PATH] [--no-docs]
 *
 * Writes bench/spot/results/spot.json and the "## Spot capacity" section of docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { machineFacts, updateSection } from '../lib/report.mjs';
import { allCases } from './cases.mjs';
import { sectionMarkdown, summarize } from './summary.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const USAGE = 'usage: node bench/spot/run.mjs [--jobs N] [--json PATH] [--no-docs] [--seeds 1,2] [--presets calm,scarce]';

function parseArgs(argv) {
  const o = { jobs: 2, json: join(here, 'results', 'spot.json'), docs: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--jobs') o.jobs = Math.max(1, Number(value()));
    else if (a === '--json') o.json = value();
    else if (a === '--no-docs') o.docs = false;
    else if (a === '--seeds') o.seeds = value().split(',').map(Number);
    else if (a === '--presets') o.presets = value().split(',');
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return o;
}

/** Runs the cases on `n` worker threads (each loads the mix once); `done(result)` as each finishes. */
async function runPool(cases, n, done) {
  const queue = [...cases];
  const workers = Array.from({ length: Math.min(n, queue.length) }, () => new Worker(new URL('./worker.mjs', import.meta.url)));
  let id = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const my = ++id;
          const reply = await new Promise((resolve, reject) => {
            const onMessage = (m) => {
              if (m.id !== my) return;
              w.off('error', reject);
              w.off('message', onMessage);
              resolve(m);
            };
            w.on('message', onMessage);
            w.once('error', reject);
            w.postMessage({ id: my, c });
          });
          if (reply.error) throw new Error(`${c.row}/${c.preset}/${c.seed}: ${reply.error}`);
          done(reply.result);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const m = machineFacts();
  console.log(`machine: ${m.nproc} cores, ${m.cpu}, Node ${m.node}, load ${m.load}, ${m.date}; ${o.jobs} worker threads`);
  // a partial run (--seeds, --presets) writes only the JSON it is given, never the docs
  const partial = o.seeds !== undefined || o.presets !== undefined;
  const cases = allCases().filter((c) => (!o.seeds || o.seeds.includes(c.seed)) && (!o.presets || c.preset === '-' || o.presets.includes(c.preset)));
  if (partial && o.json === join(here, 'results', 'spot.json')) o.json = undefined;
  const t0 = performance.now();
  const results = [];
  await runPool(cases, o.jobs, (r) => {
    results.push(r);
    console.log(
      `[${String(results.length).padStart(2)}/${cases.length}] ${r.row.padEnd(13)} ${r.preset.padEnd(8)} seed ${r.seed}: $${r.costUsd.toFixed(0)}, attainment ${(r.sloAttainment * 100).toFixed(2)}%, preemptions ${r.preemptions}, retried ${r.retried}, lost ${r.lost}, fallbacks ${r.fallbacks} (${r.wallS} s)`,
    );
  });
  const wallS = (performance.now() - t0) / 1000;
  const order = (r) => cases.findIndex((c) => c.row === r.row && c.preset === r.preset && c.seed === r.seed);
  results.sort((a, b) => order(a) - order(b));
  const summary = summarize(results);
  const run = { machine: m, wallS, jobs: o.jobs, command: 'npm run bench:spot' };
  const md = sectionMarkdown({ summary, run });
  console.log(`\n${md}\n`);
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    const lines = (xs) => `[\n${xs.map((x) => JSON.stringify(x)).join(',\n')}\n]`;
    const { presets, aims } = summary;
    writeFileSync(
      o.json,
      `${JSON.stringify({ run, aims, presets }, null, 1).replace(/\n}$/, '')},\n "cases": ${lines(results.map(({ wallS: _, ...r }) => r))}\n}\n`,
    );
    console.log(`wrote ${o.json}`);
  }
  if (o.docs && !partial) {
    const docs = join(root, 'docs', 'benchmarks.md');
    updateSection(docs, '## Spot capacity', md);
    console.log(`wrote ${docs} (## Spot capacity)`);
  }
}

await main();
