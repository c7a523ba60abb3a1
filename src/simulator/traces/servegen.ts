/**
 * ServeGen per-window client traces (no header): `window_start_s, rate, cv, pattern, shape, scale`, 600 s
 * windows. Arrivals inside each window form a renewal process with the named inter-arrival distribution
 * (Gamma, Weibull; exponential when the pattern is empty). The file's shape is kept and the scale is set so
 * that the mean gap is exactly 1/rate (ServeGen's own generator also matches each window's rate; the fitted
 * scales in the files do not always reproduce it). Seeded per chunk, so a chunk's arrivals do not depend on
 * which other chunks are loaded. Token lengths are drawn from `tokens` (DEFAULT_TOKENS unless given).
 *
 * Time range: `fromS` and `durationS` select windows by their start, in trace seconds. `compress` X replays
 * each window in 600/X s at the SAME per-second rate (so levels and burstiness per second are real, daily
 * cycles last 24/X h, and the request count shrinks by X).
 */
import { invalid } from '../../core/errors.js';
import { deriveSeed, exponential, gamma, gammaFn, hashString, mulberry32, weibull, type Rand } from '../random.js';
import { DEFAULT_TOKENS, drawTokens, type TokenDistribution } from './tokens.js';
import { TraceBuilder, type Trace } from './trace.js';

export interface ServeGenWindow {
  startS: number;
  rate: number;
  cv: number;
  pattern: 'Gamma' | 'Weibull' | '';
  shape: number;
  scale: number;
}

export interface ServeGenOptions {
  seed?: number;
  fromS?: number;
  durationS?: number;
  compress?: number;
  tokens?: TokenDistribution;
  /** one deployment per chunk instead of one deployment (the model) for all chunks */
  perChunk?: boolean;
}

export const SERVEGEN_WINDOW_S = 600;

export function parseServeGenCsv(text: string): ServeGenWindow[] {
  const out: ServeGenWindow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(',');
    if (f.length < 6) throw invalid('trace', `ServeGen line ${i + 1}: need 6 fields (window_start_s,rate,cv,pattern,shape,scale)`);
    const pattern = f[3].trim();
    if (pattern !== '' && pattern !== 'Gamma' && pattern !== 'Weibull') throw invalid('trace', `ServeGen line ${i + 1}: unknown pattern "${pattern}"`);
    const w: ServeGenWindow = { startS: Number(f[0]), rate: Number(f[1]), cv: Number(f[2]), pattern, shape: Number(f[4]), scale: Number(f[5]) };
    if (!Number.isFinite(w.startS) || !Number.isFinite(w.rate) || w.rate < 0) throw invalid('trace', `ServeGen line ${i + 1}: bad start or rate`);
    out.push(w);
  }
  return out;
}

/** A sampler of gaps (seconds) with mean 1/rate and the window's shape. */
function gapSampler(w: ServeGenWindow): (rand: Rand) => number {
  const rate = w.rate;
  if (w.pattern === 'Gamma' && w.shape > 0) {
    const scale = 1 / (rate * w.shape);
    return (rand) => gamma(rand, w.shape, scale);
  }
  if (w.pattern === 'Weibull' && w.shape > 0) {
    const scale = 1 / (rate * gammaFn(1 + 1 / w.shape));
    return (rand) => weibull(rand, w.shape, scale);
  }
  return (rand) => exponential(rand, rate);
}

const IDX = 2 ** 22;

export function buildServeGenTrace(chunks: { name: string; windows: ServeGenWindow[] }[], o: ServeGenOptions = {}, name = 'servegen'): Trace {
  const seed = o.seed ?? 1;
  const compress = o.compress ?? 1;
  if (!(compress >= 1)) throw invalid('compress', 'must be a number >= 1');
  const tokens = o.tokens ?? DEFAULT_TOKENS;
  const fromS = o.fromS ?? 0;
  const toS = o.durationS === undefined ? Infinity : fromS + o.durationS;
  const starts = new Set<number>();
  for (const c of chunks) for (const w of c.windows) if (w.startS >= fromS && w.startS < toS) starts.add(w.startS);
  const windowStarts = [...starts].sort((a, b) => a - b);
  const byStart = chunks.map((c) => new Map(c.windows.map((w) => [w.startS, w])));
  const rands = chunks.map((c) => mulberry32(deriveSeed(seed, hashString(c.name))));
  const lenS = SERVEGEN_WINDOW_S / compress;
  const b = new TraceBuilder();
  const deployments = o.perChunk ? chunks.map((c) => c.name) : [name];
  const tok = { prompt: 0, completion: 0 };
  let keys = new Float64Array(1024);
  let bp = new Uint32Array(1024);
  let bc = new Uint32Array(1024);
  let bd = new Uint32Array(1024);
  for (const ws of windowStarts) {
    let n = 0;
    for (let c = 0; c < chunks.length; c++) {
      const w = byStart[c].get(ws);
      if (!w || w.rate <= 0) continue;
      const rand = rands[c];
      const gap = gapSampler(w);
      for (let t = gap(rand); t < lenS; t += gap(rand)) {
        if (n === keys.length) {
          keys = grow(keys, new Float64Array(n * 2));
          bp = grow(bp, new Uint32Array(n * 2));
          bc = grow(bc, new Uint32Array(n * 2));
          bd = grow(bd, new Uint32Array(n * 2));
        }
        if (n >= IDX) throw invalid('trace', `ServeGen window ${ws}: more than ${IDX} arrivals`);
        drawTokens(rand, tokens, tok);
        keys[n] = Math.floor(t * 1e6) * IDX + n;
        bp[n] = tok.prompt;
        bc[n] = tok.completion;
        bd[n] = o.perChunk ? c : 0;
        n++;
      }
    }
    const block = keys.subarray(0, n).sort();
    const base = ((ws - fromS) / compress) * 1000;
    for (let k = 0; k < n; k++) {
      const key = block[k];
      const j = key % IDX;
      b.push(base + (key - j) / IDX / 1000, bp[j], bc[j], bd[j]);
    }
  }
  const last = windowStarts.length > 0 ? windowStarts[windowStarts.length - 1] : fromS;
  const count = b.length;
  return b.finish({
    name,
    description:
      `ServeGen: ${chunks.length} chunk(s) [${chunks.map((c) => c.name).join(', ')}], windows ${fromS}-${last + SERVEGEN_WINDOW_S} s` +
      `${compress !== 1 ? `, compressed ${compress}x (same rate per second)` : ''}, ${count} arrivals (seed ${seed}); ` +
      `tokens lognormal (prompt median ${tokens.promptMedian}, output median ${tokens.completionMedian})`,
    epochMs: 0,
    durationMs: windowStarts.length > 0 ? ((last - fromS + SERVEGEN_WINDOW_S) / compress) * 1000 : 0,
    deployments,
  });
}

function grow<T extends Float64Array | Uint32Array>(a: T, b: T): T {
  b.set(a);
  return b;
}
