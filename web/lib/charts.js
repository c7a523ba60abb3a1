// Time-series charts on uPlot (served from node_modules as /ui/vendor/uplot.js, a global).
import { h, fmt } from './dom.js';

const AXIS = {
  stroke: '#64748b',
  font: '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  grid: { stroke: 'rgba(148, 163, 184, 0.22)', width: 1 },
  ticks: { stroke: 'rgba(148, 163, 184, 0.4)', width: 1, size: 4 },
};

const alpha = (hex, a) => {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
};

const cap = (s) => s[0].toUpperCase() + s.slice(1);
const pad = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Tick labels for a window of `span` seconds: 14:05:30, 14:05, or Mar 3 14:00. */
function tickLabel(ts, span) {
  const d = new Date(ts * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (span <= 600) return `${hm}:${pad(d.getSeconds())}`;
  if (span <= 2 * 86400) return hm;
  return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
}

/** Keeps the legend on the newest values while the cursor is off the chart. */
const legendOnLatest = {
  hooks: {
    setCursor: [(u) => u.cursor.idx == null && u.data[0].length && u.setLegend({ idx: u.data[0].length - 1 })],
    setData: [(u) => u.cursor.idx == null && u.data[0].length && u.setLegend({ idx: u.data[0].length - 1 })],
  },
};

/** Vertical dashed lines at scaling decisions, with the reason shown when the cursor is near one. */
function markersPlugin(getMarkers, tip) {
  return {
    hooks: {
      init: [(u) => u.over.append(tip)],
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          const dpr = window.devicePixelRatio || 1;
          ctx.save();
          for (const m of getMarkers()) {
            if (m.t < u.scales.x.min || m.t > u.scales.x.max) continue;
            const x = Math.round(u.valToPos(m.t, 'x', true)) + 0.5;
            const color = m.kind === 'autoscale' ? '#7c3aed' : '#0284c7';
            ctx.strokeStyle = color;
            ctx.fillStyle = color;
            ctx.lineWidth = dpr;
            ctx.setLineDash([4 * dpr, 3 * dpr]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.beginPath();
            ctx.moveTo(x - 5 * dpr, top);
            ctx.lineTo(x + 5 * dpr, top);
            ctx.lineTo(x, top + 7 * dpr);
            ctx.closePath();
            ctx.fill();
          }
          ctx.restore();
        },
      ],
      setCursor: [
        (u) => {
          const left = u.cursor.left;
          let best;
          let bestX = 0;
          let bestD = 8;
          if (left !== undefined && left !== null && left >= 0) {
            for (const m of getMarkers()) {
              const x = u.valToPos(m.t, 'x');
              if (Math.abs(x - left) < bestD) [best, bestX, bestD] = [m, x, Math.abs(x - left)];
            }
          }
          if (!best) {
            tip.hidden = true;
            return;
          }
          tip.hidden = false;
          tip.replaceChildren(h('strong', {}, `${best.kind === 'autoscale' ? 'Autoscaled' : 'Scaled'} · ${fmt.time(new Date(best.t * 1000).toISOString())}`), h('span', {}, best.text));
          const w = u.over.clientWidth;
          tip.style.left = `${Math.min(Math.max(0, bestX - 120), Math.max(0, w - 240))}px`;
        },
      ],
    },
  };
}

/**
 * A chart card. `series`: [{key, label, color, fill, dash, step}] where key names a column of the
 * metrics API. Returns {el, update(columns, xMin, xMax), destroy()}.
 */
export function timeChart({ id, title, unit, series, format = (v) => fmt.num(v, 2), softMax = 1, markers }) {
  const plot = h('div', { class: 'chart-plot' });
  const tip = h('div', { class: 'chart-tip', hidden: true });
  const el = h('section', { class: 'card chart', dataset: { chart: id, points: '0' } },
    h('div', { class: 'chart-head' }, h('h3', {}, title), h('span', { class: 'chart-unit' }, unit)),
    plot,
  );
  let range = [0, 1];
  const opts = {
    width: 400,
    height: 190,
    padding: [12, 12, 0, 0],
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    legend: { live: true },
    scales: {
      x: { time: true, range: () => range },
      y: { range: (u, min, max) => [0, Math.max(softMax, (max ?? 0) * 1.2)] },
    },
    axes: [
      { ...AXIS, space: 80, values: (u, splits) => splits.map((ts) => tickLabel(ts, range[1] - range[0])) },
      { ...AXIS, size: 52, values: (u, vals) => vals.map((v) => format(v)) },
    ],
    series: [
      { value: (u, v) => (v === null ? '–' : fmt.time(new Date(v * 1000).toISOString())) },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 2,
        dash: s.dash,
        fill: s.fill ? alpha(s.color, 0.12) : undefined,
        spanGaps: false,
        points: { show: false },
        paths: s.step ? window.uPlot.paths.stepped({ align: 1 }) : undefined,
        value: (u, v) => (v === null || v === undefined ? '–' : format(v)),
      })),
    ],
    plugins: markers ? [legendOnLatest, markersPlugin(markers, tip)] : [legendOnLatest],
  };
  const u = new window.uPlot(opts, [[], ...series.map(() => [])], plot);
  const ro = new ResizeObserver(() => {
    const w = plot.clientWidth;
    if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height: opts.height });
  });
  ro.observe(plot);

  return {
    el,
    /** columns: {at: [ms], key: [...]}; the x axis spans [xMin, xMax] (ms) so the window scrolls live */
    update(columns, xMin, xMax) {
      range = [xMin / 1000, xMax / 1000];
      const xs = columns.at.map((t) => t / 1000);
      u.setData([xs, ...series.map((s) => columns[s.key] ?? [])]);
      el.dataset.points = String(xs.length);
      for (const s of series) {
        const col = columns[s.key] ?? [];
        const last = [...col].reverse().find((v) => v !== null && v !== undefined);
        el.dataset[`last${cap(s.key)}`] = last === undefined ? '' : String(last);
      }
    },
    redraw() {
      u.redraw(false, false);
    },
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
