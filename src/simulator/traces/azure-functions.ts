/**
 * Azure Functions 2019 invocation counts (invitro sample): `HashOwner,HashApp,HashFunction,Trigger,480,...`
 * with invocations per minute, one function a row. Each function becomes one deployment. Inside each minute
 * the invocations are placed uniformly at random from a per-function seeded stream (so a function's arrivals
 * do not change when other functions are selected or not). Token counts are not in the data: they are drawn
 * from `tokens` (DEFAULT_TOKENS unless given) from the same stream.
 */
import { invalid } from '../../core/errors.js';
import { deriveSeed, hashString, mulberry32 } from '../random.js';
import { DEFAULT_TOKENS, drawTokens, type TokenDistribution } from './tokens.js';
import { TraceBuilder, type Trace } from './trace.js';

export interface AzureFunctionsOptions {
  seed?: number;
  /** keep only the K functions with the most invocations (ties: file order) */
  top?: number;
  /** also keep this many more functions drawn at random (seeded) from the rest: the long tail */
  tailSample?: number;
  /** keep one function: its full HashFunction or a unique prefix */
  function?: string;
  tokens?: TokenDistribution;
}

export interface FunctionRow {
  hash: string;
  trigger: string;
  counts: Uint32Array;
  total: number;
}

export interface FunctionsTable {
  firstMinute: number;
  rows: FunctionRow[];
}

export function parseFunctionsTable(text: string): FunctionsTable {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const head = lines[0]?.split(',') ?? [];
  if (head[0] !== 'HashOwner' || head[2] !== 'HashFunction') {
    throw invalid('trace', 'Azure Functions CSV must start with "HashOwner,HashApp,HashFunction,Trigger,<minute>,..."');
  }
  const firstMinute = Number(head[4]);
  const minutes = head.length - 4;
  if (!Number.isInteger(firstMinute) || minutes < 1) throw invalid('trace', 'Azure Functions CSV needs per-minute columns after Trigger');
  const rows: FunctionRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].split(',');
    const counts = new Uint32Array(minutes);
    let total = 0;
    for (let m = 0; m < minutes; m++) {
      const c = Number(f[4 + m] ?? 0);
      if (!Number.isFinite(c) || c < 0) throw invalid('trace', `line ${i + 1}: minute ${firstMinute + m}: not a count`);
      counts[m] = c;
      total += c;
    }
    rows.push({ hash: f[2], trigger: f[3], counts, total });
  }
  return { firstMinute, rows };
}

/** Picks the rows to simulate, in file order. */
export function selectFunctions(table: FunctionsTable, o: AzureFunctionsOptions): FunctionRow[] {
  const rows = table.rows;
  if (o.function) {
    const hits = rows.filter((r) => r.hash.startsWith(o.function as string));
    if (hits.length !== 1) throw invalid('function', `"${o.function}" matches ${hits.length} functions (need exactly one)`);
    return hits;
  }
  if (o.top === undefined && o.tailSample === undefined) return rows;
  const byLoad = rows.map((r, i) => i).sort((a, b) => rows[b].total - rows[a].total || a - b);
  const keep = new Set(byLoad.slice(0, o.top ?? 0));
  const rest = byLoad.slice(o.top ?? 0).sort((a, b) => a - b);
  const rand = mulberry32(deriveSeed(o.seed ?? 1, 0x7a11));
  for (let k = 0; k < (o.tailSample ?? 0) && rest.length > 0; k++) {
    const j = Math.floor(rand() * rest.length);
    keep.add(rest[j]);
    rest.splice(j, 1);
  }
  return rows.filter((_, i) => keep.has(i));
}

const US_PER_MIN = 60_000_000;
const IDX = 2 ** 26;

export function parseAzureFunctionsCsv(text: string, o: AzureFunctionsOptions = {}, name = 'azure-functions'): Trace {
  const table = parseFunctionsTable(text);
  const rows = selectFunctions(table, o);
  const seed = o.seed ?? 1;
  const tokens = o.tokens ?? DEFAULT_TOKENS;
  const rands = rows.map((r) => mulberry32(deriveSeed(seed, hashString(r.hash))));
  const minutes = table.rows[0]?.counts.length ?? 0;
  const b = new TraceBuilder();
  const names = rows.map((r) => r.hash.slice(0, 12));
  const tok = { prompt: 0, completion: 0 };
  let keys = new Float64Array(1024);
  let bp = new Uint32Array(1024);
  let bc = new Uint32Array(1024);
  let bd = new Uint32Array(1024);
  for (let m = 0; m < minutes; m++) {
    let n = 0;
    for (let f = 0; f < rows.length; f++) {
      const c = rows[f].counts[m];
      if (c === 0) continue;
      const rand = rands[f];
      if (n + c > keys.length) {
        const cap = Math.max(keys.length * 2, n + c);
        keys = grow(keys, new Float64Array(cap));
        bp = grow(bp, new Uint32Array(cap));
        bc = grow(bc, new Uint32Array(cap));
        bd = grow(bd, new Uint32Array(cap));
      }
      for (let k = 0; k < c; k++) {
        const us = Math.floor(rand() * US_PER_MIN);
        drawTokens(rand, tokens, tok);
        keys[n] = us * IDX + n;
        bp[n] = tok.prompt;
        bc[n] = tok.completion;
        bd[n] = f;
        n++;
      }
    }
    if (n > IDX) throw invalid('trace', `minute ${table.firstMinute + m} has more than ${IDX} invocations`);
    const block = keys.subarray(0, n).sort();
    for (let k = 0; k < n; k++) {
      const key = block[k];
      const j = key % IDX;
      const us = (key - j) / IDX;
      b.push(m * 60_000 + us / 1000, bp[j], bc[j], bd[j]);
    }
  }
  const total = b.length;
  return b.finish({
    name,
    description:
      `Azure Functions 2019: ${rows.length} functions (one deployment each), ${total} invocations over ${minutes} min; ` +
      `arrivals uniform within each minute (seed ${seed}); tokens lognormal (prompt median ${tokens.promptMedian}, output median ${tokens.completionMedian})`,
    epochMs: table.firstMinute * 60_000,
    durationMs: minutes * 60_000,
    deployments: names,
  });
}

function grow<T extends Float64Array | Uint32Array>(a: T, b: T): T {
  b.set(a);
  return b;
}
