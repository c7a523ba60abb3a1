/** The terminal table: one row per policy, the references under it. */
import type { SimulationReport } from '../simulate.js';

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

function ms(x: number): string {
  return x >= 10_000 ? `${(x / 1000).toFixed(0)}s` : x >= 1000 ? `${(x / 1000).toFixed(1)}s` : `${x.toFixed(0)}ms`;
}

export function renderTable(r: SimulationReport): string {
  const head = ['policy', 'GPU-h', 'cost $', 'SLO %', 'TTFT p50', 'p95', 'p99', 'e2e p50', 'p99', 'failed', 'cold starts', 'actions', 'x work', 'x foresight'];
  const rows = r.policies.map((p) => [
    p.name,
    fmt(p.gpuHours, 3),
    fmt(p.costUsd, 2),
    fmt(p.sloAttainment * 100, 2),
    ms(p.ttftP50Ms),
    ms(p.ttftP95Ms),
    ms(p.ttftP99Ms),
    ms(p.e2eP50Ms),
    ms(p.e2eP99Ms),
    String(p.failed),
    String(p.coldStarts),
    String(p.scalingActions),
    fmt(p.vsWorkBound, 2),
    fmt(p.vsForesight, 2),
  ]);
  const refs = r.references;
  rows.push(['work bound', fmt(refs.workBound.gpuHours, 3), fmt(refs.workBound.costUsd, 2), '', '', '', '', '', '', '', '', '', '1.00', '']);
  rows.push([
    'foresight',
    fmt(refs.foresight.gpuHours, 3),
    fmt(refs.foresight.costUsd, 2),
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    fmt(refs.foresight.gpuHours / Math.max(1e-12, refs.workBound.gpuHours), 2),
    '1.00',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  const out = [
    `trace ${r.trace.name}: ${r.trace.requests} requests, ${r.trace.deployments} deployment(s), ${(r.trace.durationS / 3600).toFixed(2)} h`,
    `SLO: TTFT <= ${r.settings.sloTtftMs} ms (failed requests count as misses); price $${r.settings.pricePerGpuHour}/GPU-hour`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(0, r.policies.length).map(line),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(r.policies.length).map(line),
  ];
  return `${out.join('\n')}\n${poolLines(r)}`;
}

/** The report as JSON: without plot series and timings, so the same seed gives the same bytes. */
export function renderJson(r: SimulationReport): string {
  const { plots: _plots, timings: _timings, ...rest } = r;
  return `${JSON.stringify(rest, null, 2)}\n`;
}

/** With a pool or sleeping replicas: per policy, the pool's GPU-hours and what did not fit, cold starts and wakes. */
function poolLines(r: SimulationReport): string {
  const withPool = r.policies.filter((p) => p.pool || p.wakes !== undefined);
  if (withPool.length === 0) return '';
  const lines = withPool.map((p) => {
    const pool = p.pool
      ? `pool ${fmt(p.pool.gpuHours, 3)} GPU-h (replicas ${fmt(p.pool.replicaHours, 3)} h, peak ${p.pool.peakGpus} GPUs, ${p.pool.unplaced} starts found no room)`
      : '';
    const wakes = p.wakes === undefined ? '' : `${p.coldStarts} cold starts, ${p.wakes} wakes, peak ${p.pool?.peakSleepers ?? '?'} asleep`;
    return `  ${p.name}: ${[pool, wakes].filter(Boolean).join('; ')}`;
  });
  return `\npacked onto the pool (a GPU counts while any replica is on it):\n${lines.join('\n')}\n`;
}
