import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildAutoscaleSpec } from '../autoscaler/spec.js';
import { DEFAULT_SIM_PARAMS } from '../engines/sim/params.js';
import { renderReport, runSimulateCli, type SimulateCliOptions } from './cli.js';
import { renderHtml } from './report/html.js';
import { renderJson } from './report/table.js';
import { simulate, simulateOne } from './simulate.js';
import { burstTrace, diurnalTrace, poissonTrace } from './traces/generators.js';
import { parseAzureFunctionsCsv } from './traces/azure-functions.js';

const engine = { ...DEFAULT_SIM_PARAMS, ttftMs: 20, prefillMsPerToken: 0.1, itlMs: 12, maxNumSeqs: 16, slowdownPerSeq: 0.02 };
const spec = buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 20, targetOngoingRequests: 12 });
const tokens = { promptMedian: 500, promptSigma: 0.8, promptMax: 4000, completionMedian: 60, completionSigma: 0.8, completionMax: 600 };

test('same seed, byte-identical JSON', async () => {
  const trace = () => burstTrace({ baseRate: 2, burstRate: 30, everyMs: 600_000, burstMs: 30_000, durationMs: 1_800_000, seed: 5, tokens });
  const a = renderJson(await simulate({ trace: trace(), engine, spec, seed: 5 }));
  const b = renderJson(await simulate({ trace: trace(), engine, spec, seed: 5 }));
  assert.equal(a, b);
  const parsed = JSON.parse(a);
  assert.ok(parsed.references.workBound.gpuHours > 0 && parsed.references.foresight.gpuHours > 0);
  for (const p of parsed.policies) {
    for (const k of ['name', 'gpuHours', 'costUsd', 'sloAttainment', 'ttftP50Ms', 'ttftP99Ms', 'failed', 'coldStarts', 'scalingActions']) assert.ok(k in p, k);
    assert.ok(p.sloAttainment >= 0 && p.sloAttainment <= 1);
  }
  assert.equal(parsed.policies.length, 8);
});

test('the work bound is never above any policy, nor above the foresight reference', async () => {
  const traces = [
    poissonTrace({ rate: 3, durationMs: 1_200_000, seed: 1, tokens }),
    diurnalTrace({ meanRate: 6, amplitude: 0.9, periodMs: 1_200_000, durationMs: 2_400_000, seed: 2, tokens }),
    burstTrace({ baseRate: 0.2, burstRate: 40, everyMs: 900_000, burstMs: 20_000, durationMs: 2_700_000, seed: 3, tokens }),
  ];
  for (const trace of traces) {
    const r = await simulate({ trace, engine, spec });
    const work = r.references.workBound.gpuHours;
    assert.ok(work <= r.references.foresight.gpuHours, trace.name);
    for (const p of r.policies) assert.ok(work <= p.gpuHours, `${trace.name}: ${p.name} ${p.gpuHours} < work bound ${work}`);
  }
});

test('worker threads give the same results as in-process runs', async () => {
  const csv = ['HashOwner,HashApp,HashFunction,Trigger,480,481,482,483,484,485'];
  for (let f = 0; f < 8; f++) csv.push(`o${f},a${f},f${f}hash,http,${[5, 0, 30 * f, 0, 0, 12].join(',')}`);
  const trace = parseAzureFunctionsCsv(csv.join('\n'), { seed: 4, tokens });
  const policies = ['ours', 'kpa', 'skyserve'] as const;
  const a = await simulate({ trace, engine, spec, policies, workers: 0 });
  const b = await simulate({ trace, engine, spec, policies, workers: 2 });
  assert.equal(renderJson(a), renderJson(b));
});

test('simulateOne: timeline, GPU-seconds and p50 latency for the fidelity test', () => {
  const trace = poissonTrace({ rate: 2, durationMs: 600_000, seed: 8, tokens });
  const r = simulateOne(trace, 'ours', { engine, spec });
  assert.ok(r.gpuSeconds > 0 && r.gpuSeconds <= 20 * 600);
  assert.ok(r.p50LatencyMs > 0);
  assert.equal(r.readyTimeline.t.length, r.readyTimeline.ready.length);
  assert.ok(r.readyTimeline.ready.some((x) => x >= 1));
});

test('CLI: a trace file in, table, JSON and a self-contained HTML out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-sim-'));
  const file = join(dir, 'trace.csv');
  const rows = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
  for (let s = 0; s < 600; s += 2) rows.push(`2024-01-01 00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.0000000,800,40`);
  writeFileSync(file, rows.join('\n'));
  const o: SimulateCliOptions = {
    trace: file,
    policy: 'ours,hpa,static-peak',
    sloTtft: '2s',
    coldStart: '30s',
    gpuCount: '1',
    pricePerGpuHour: '2.5',
    engineParams: '--ttft-ms 20 --prefill-ms-per-token 0.1 --itl-ms 12 --max-num-seqs 16',
    autoscale: '--min 0 --max 4 --target-ongoing-requests 8',
    baselineMin: 'own',
    seed: '1',
    queueTimeout: '120s',
    maxQueued: '1000',
    idleProbe: '30s',
    output: 'table',
  };
  const report = await runSimulateCli(o);
  assert.equal(report.trace.requests, 300);
  assert.deepEqual(
    report.policies.map((p) => p.name),
    ['ours', 'hpa', 'static-peak'],
  );
  assert.match(renderReport(report, 'table'), /static-peak/);
  assert.equal(report.policies[1].costUsd, Math.round(report.policies[1].gpuHours * 2.5 * 100) / 100);
  const html = renderHtml(report);
  assert.match(html, /<svg/);
  assert.equal((html.match(/<svg/g) ?? []).length, 3);
  assert.doesNotMatch(html, /(src|href)="http/);
  await assert.rejects(runSimulateCli({ ...o, policy: 'nope' }), /unknown policy/);
  await assert.rejects(runSimulateCli({ ...o, coldStart: '60' }), /duration/);
});

test('the fast idle path changes no result (every policy, sparse functions with long idle gaps)', async () => {
  const minutes = 40;
  const csv = [`HashOwner,HashApp,HashFunction,Trigger,${Array.from({ length: minutes }, (_, m) => 480 + m).join(',')}`];
  for (let f = 0; f < 6; f++) {
    const counts = Array.from({ length: minutes }, (_, m) => ((m * (f + 3)) % 11 === 0 ? 3 + f * 4 : 0));
    csv.push(`o${f},a${f},g${f}hash,timer,${counts.join(',')}`);
  }
  const trace = parseAzureFunctionsCsv(csv.join('\n'), { seed: 2, tokens });
  const exact = await simulate({ trace, engine, spec, idleProbeMs: 0, workers: 0 });
  const fast = await simulate({ trace, engine, spec, idleProbeMs: 30_000, workers: 0 });
  assert.deepEqual(fast.policies, exact.policies);
  assert.deepEqual(fast.plots, exact.plots);
});
