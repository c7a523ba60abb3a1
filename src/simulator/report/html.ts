/** The self-contained HTML report: the table, and inline SVG plots (no scripts, no external assets). */
import type { SimulationReport } from '../simulate.js';
import { chart, esc, PALETTE, scatter, type Series } from './svg.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function tableHtml(r: SimulationReport): string {
  const head = [
    'policy',
    'GPU-h',
    'cost $',
    'SLO attainment',
    'TTFT p50 ms',
    'p95',
    'p99',
    'e2e p50 ms',
    'p99',
    'failed',
    'cold starts',
    'scaling actions',
    'x work bound',
    'x foresight',
  ];
  const rows = r.policies.map((p) => [
    p.name,
    p.gpuHours.toFixed(3),
    p.costUsd.toFixed(2),
    pct(p.sloAttainment),
    p.ttftP50Ms.toFixed(0),
    p.ttftP95Ms.toFixed(0),
    p.ttftP99Ms.toFixed(0),
    p.e2eP50Ms.toFixed(0),
    p.e2eP99Ms.toFixed(0),
    String(p.failed),
    String(p.coldStarts),
    String(p.scalingActions),
    p.vsWorkBound.toFixed(2),
    p.vsForesight.toFixed(2),
  ]);
  const refs = r.references;
  rows.push(['work bound', refs.workBound.gpuHours.toFixed(3), refs.workBound.costUsd.toFixed(2), '', '', '', '', '', '', '', '', '', '1.00', '']);
  rows.push(['foresight', refs.foresight.gpuHours.toFixed(3), refs.foresight.costUsd.toFixed(2), '', '', '', '', '', '', '', '', '', '', '1.00']);
  const tr = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table>\n${tr(head, 'th')}\n${rows.map((row) => tr(row, 'td')).join('\n')}\n</table>`;
}

export function renderHtml(r: SimulationReport): string {
  const plots = r.plots;
  const colors = new Map(r.policies.map((p, k) => [p.name, PALETTE[k % PALETTE.length]]));
  const hours = r.trace.durationS > 3 * 3600;
  const unit = hours ? 3_600_000 : 60_000;
  const unitName = hours ? 'hours' : 'minutes';
  const sections: string[] = [];
  if (plots) {
    const x = (b: number) => ((b + 0.5) * plots.bucketMs) / unit;
    const replicaSeries: Series[] = [
      { name: 'load (foresight replicas)', color: '#888', area: true, points: plots.loadReplicas.map((v, b) => [x(b), v]) },
      ...r.policies.map((p) => ({
        name: p.name,
        color: colors.get(p.name) as string,
        points: (plots.replicas[p.name] ?? []).map((v, b): [number, number] => [x(b), v]),
      })),
    ];
    sections.push(
      chart(replicaSeries, {
        title: 'Replicas over time (ready + starting), against the load',
        xLabel: `time (${unitName})`,
        yLabel: 'replicas',
        width: 900,
        height: 360,
      }),
    );
    const cdfSeries: Series[] = r.policies.map((p) => ({ name: p.name, color: colors.get(p.name) as string, points: plots.ttftCdf[p.name] ?? [] }));
    const maxTtft = Math.max(Number(r.settings.sloTtftMs) * 10, ...cdfSeries.flatMap((s) => s.points.map((q) => q[0])));
    sections.push(
      chart(cdfSeries, {
        title: 'Time to first token: CDF (failed requests never reach 1)',
        xLabel: 'TTFT (ms, log scale)',
        yLabel: 'fraction of requests',
        xLog: true,
        xMin: 10,
        xMax: maxTtft,
        yMin: 0,
        yMax: 1,
        width: 900,
        height: 360,
        markers: [{ x: Number(r.settings.sloTtftMs), label: 'SLO' }],
      }),
    );
  }
  const minSlo = Math.min(0.9, ...r.policies.map((p) => p.sloAttainment));
  sections.push(
    scatter(
      r.policies.map((p) => ({ label: p.name, x: p.gpuHours, y: p.sloAttainment, color: colors.get(p.name) as string })),
      {
        title: 'Cost versus SLO attainment (up and left is better)',
        xLabel: 'GPU-hours',
        yLabel: 'SLO attainment',
        yMin: Math.floor(minSlo * 100) / 100,
        yMax: 1,
        width: 900,
        height: 360,
        markers: [
          { x: r.references.workBound.gpuHours, label: 'work bound' },
          { x: r.references.foresight.gpuHours, label: 'foresight' },
        ],
      },
    ),
  );
  const settings = JSON.stringify(r.settings, null, 2);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>inferscale simulate: ${esc(r.trace.name)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}td:first-child,th:first-child{text-align:left}
pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}svg{display:block;margin:18px 0}</style></head>
<body>
<h1>Autoscaling simulation: ${esc(r.trace.name)}</h1>
<p>${esc(r.trace.description)}</p>
<p>${r.trace.requests} requests, ${r.trace.deployments} deployment(s), ${(r.trace.durationS / 3600).toFixed(2)} h.
SLO: time to first token at most ${esc(String(r.settings.sloTtftMs))} ms; failed requests count as misses. Price $${esc(String(r.settings.pricePerGpuHour))} per GPU-hour.
Work bound: the trace's sequence-time divided by the engine's slots. Foresight: replicas started one cold start ahead of need, knowing the future.</p>
${tableHtml(r)}
${sections.join('\n')}
<h2>Settings</h2>
<pre>${esc(settings)}</pre>
</body></html>
`;
}
