/** Hand-written SVG charts (no chart library, no external assets): lines, an area, and a labelled scatter. */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** draw as a filled area instead of a line */
  area?: boolean;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  xLog?: boolean;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  /** vertical marker lines */
  markers?: { x: number; label: string }[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n2 = (x: number) => (Math.round(x * 10) / 10).toString();

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function fmtTick(v: number): string {
  if (Math.abs(v) >= 1e6) return `${v / 1e6}M`;
  if (Math.abs(v) >= 1e4) return `${v / 1e3}k`;
  return Number(v.toPrecision(4)).toString();
}

interface Frame {
  sx: (x: number) => number;
  sy: (y: number) => number;
  parts: string[];
  legend: (k: number, name: string, color: string, opacity?: number) => void;
  y0: number;
  y1: number;
}

const L = 60;
const R = 190;
const T = 30;
const B = 45;

/** Axes, grid, labels and markers for the given ranges; returns the scales for the marks. */
function frame(o: ChartOptions, x0: number, x1: number, y0: number, y1: number): Frame {
  const W = o.width ?? 760;
  const H = o.height ?? 320;
  if (!Number.isFinite(x0) || !Number.isFinite(x1)) [x0, x1] = [o.xLog ? 1 : 0, o.xLog ? 10 : 1];
  if (x1 <= x0) x1 = x0 + (o.xLog ? x0 * 9 : 1);
  if (y1 <= y0) y1 = y0 + 1;
  const lx = (x: number) => (o.xLog ? Math.log10(Math.max(x, x0)) : x);
  const a0 = lx(x0);
  const a1 = lx(x1);
  const sx = (x: number) => L + ((lx(x) - a0) / (a1 - a0 || 1)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${L}" y="18" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  const xt = o.xLog ? Array.from({ length: Math.max(0, Math.floor(a1) - Math.ceil(a0) + 1) }, (_, k) => 10 ** (Math.ceil(a0) + k)) : niceTicks(x0, x1, 8);
  for (const v of xt) {
    const x = sx(v);
    parts.push(`<line x1="${n2(x)}" y1="${T}" x2="${n2(x)}" y2="${H - B}" stroke="#eee"/>`);
    parts.push(`<text x="${n2(x)}" y="${H - B + 14}" text-anchor="middle">${fmtTick(v)}</text>`);
  }
  for (const v of niceTicks(y0, y1, 6)) {
    const y = sy(v);
    parts.push(`<line x1="${L}" y1="${n2(y)}" x2="${W - R}" y2="${n2(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${L - 6}" y="${n2(y + 4)}" text-anchor="end">${fmtTick(v)}</text>`);
  }
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(o.yLabel)}</text>`);
  for (const m of o.markers ?? []) {
    const x = sx(m.x);
    parts.push(`<line x1="${n2(x)}" y1="${T}" x2="${n2(x)}" y2="${H - B}" stroke="#555" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${n2(x + 3)}" y="${H - B - 6}" fill="#555" transform="rotate(-90 ${n2(x + 3)} ${H - B - 6})">${esc(m.label)}</text>`);
  }
  const legend = (k: number, name: string, color: string, opacity = 1) => {
    const ly = T + 8 + k * 16;
    parts.push(`<rect x="${W - R + 10}" y="${ly - 8}" width="12" height="8" fill="${color}" fill-opacity="${opacity}"/>`);
    parts.push(`<text x="${W - R + 26}" y="${ly}">${esc(name)}</text>`);
  };
  return { sx, sy, parts, legend, y0, y1 };
}

/** Lines (or a filled area) over shared axes. */
export function chart(series: readonly Series[], o: ChartOptions): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]).filter((x) => !o.xLog || x > 0);
  const ys = all.map((p) => p[1]);
  const f = frame(o, o.xMin ?? Math.min(...xs), o.xMax ?? Math.max(...xs), o.yMin ?? Math.min(0, ...ys), o.yMax ?? Math.max(...ys, 1));
  series.forEach((s, k) => {
    const pts = s.points.filter((p) => !o.xLog || p[0] > 0).map((p) => `${n2(f.sx(p[0]))},${n2(f.sy(p[1]))}`);
    if (pts.length > 0 && s.area) {
      const first = s.points[0];
      const last = s.points[s.points.length - 1];
      const base = n2(f.sy(f.y0));
      f.parts.push(`<polygon points="${n2(f.sx(first[0]))},${base} ${pts.join(' ')} ${n2(f.sx(last[0]))},${base}" fill="${s.color}" fill-opacity="0.25"/>`);
    } else if (pts.length > 0) {
      const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
      f.parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"${dash}/>`);
    }
    f.legend(k, s.name, s.color, s.area ? 0.4 : 1);
  });
  f.parts.push('</svg>');
  return f.parts.join('\n');
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  color: string;
}

/** Labelled dots. */
export function scatter(points: readonly ScatterPoint[], o: ChartOptions): string {
  const xMax = o.xMax ?? Math.max(1e-9, ...points.map((p) => p.x), ...(o.markers ?? []).map((m) => m.x)) * 1.1;
  const f = frame(o, o.xMin ?? 0, xMax, o.yMin ?? 0, o.yMax ?? 1);
  // points drawn at the same pixel share one label ("ray, hpa, keda")
  const labels = new Map<string, { x: number; y: number; names: string[]; color: string }>();
  points.forEach((p, k) => {
    const y = Math.max(f.y0, Math.min(f.y1, p.y));
    const cx = n2(f.sx(p.x));
    const cy = n2(f.sy(y));
    f.parts.push(`<circle cx="${cx}" cy="${cy}" r="5" fill="${p.color}"><title>${esc(p.label)}: ${p.x.toFixed(3)}, ${p.y.toFixed(4)}</title></circle>`);
    const key = `${Math.round(f.sx(p.x) / 4)},${Math.round(f.sy(y) / 4)}`;
    const at = labels.get(key);
    if (at) at.names.push(p.label);
    else labels.set(key, { x: f.sx(p.x), y: f.sy(y), names: [p.label], color: p.color });
    f.legend(k, p.label, p.color);
  });
  for (const l of labels.values()) {
    f.parts.push(`<text x="${n2(l.x + 7)}" y="${n2(l.y - 6)}" fill="${l.names.length > 1 ? '#333' : l.color}">${esc(l.names.join(', '))}</text>`);
  }
  f.parts.push('</svg>');
  return f.parts.join('\n');
}
