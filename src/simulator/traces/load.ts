/**
 * Loads a trace from a file or directory, detecting the format from its content (override with `format`):
 * a header starting "TIMESTAMP" is an Azure LLM trace, "HashOwner" the Azure Functions counts, six
 * headerless numeric-led fields (or a directory of chunk-N-trace.csv files) ServeGen.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { invalid } from '../../core/errors.js';
import { parseAzureFunctionsCsv, type AzureFunctionsOptions } from './azure-functions.js';
import { parseAzureLlmCsv } from './azure-llm.js';
import { buildServeGenTrace, parseServeGenCsv, type ServeGenOptions } from './servegen.js';
import type { TokenDistribution } from './tokens.js';
import { sliceTrace, type Trace } from './trace.js';

export const TRACE_FORMATS = ['azure-llm', 'azure-functions', 'servegen'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface LoadTraceOptions {
  format?: TraceFormat;
  seed?: number;
  /** Azure Functions: keep the K busiest functions */
  functions?: number;
  /** Azure Functions: add this many more functions sampled from the rest */
  tailSample?: number;
  /** Azure Functions: keep only this function (hash or unique prefix) */
  function?: string;
  /** ServeGen directory: chunk numbers to load (default all) */
  chunks?: number[];
  /** ServeGen: one deployment per chunk */
  perChunk?: boolean;
  /** start of the time range, ms from the trace start (ServeGen: trace time before compression) */
  startMs?: number;
  /** length of the time range, ms */
  durationMs?: number;
  /** ServeGen: replay each window X times faster at the same rate */
  compress?: number;
  tokens?: TokenDistribution;
}

export function detectFormat(path: string): TraceFormat {
  const st = statSync(path);
  if (st.isDirectory()) {
    if (chunkFiles(path).length > 0) return 'servegen';
    throw invalid('trace', `${path}: a directory must hold ServeGen chunk-N-trace.csv files`);
  }
  return detectFormatFromText(readFileSync(path, 'utf8').slice(0, 4096));
}

export function detectFormatFromText(head: string): TraceFormat {
  const first = head.split(/\r?\n/, 1)[0].trim();
  if (/^timestamp\b/i.test(first)) return 'azure-llm';
  if (/^HashOwner,/.test(first)) return 'azure-functions';
  if (/^\d+(\.\d+)?,[\d.eE+-]+,[\d.eE+-]*,(Gamma|Weibull)?,/.test(first)) return 'servegen';
  throw invalid('trace', `cannot tell the trace format from its first line "${first.slice(0, 80)}"; pass --format`);
}

function chunkFiles(dir: string): { name: string; n: number; path: string }[] {
  return readdirSync(dir)
    .map((f) => /^chunk-(\d+)-trace\.csv$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: `chunk-${m[1]}`, n: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.n - b.n);
}

export function loadTrace(path: string, o: LoadTraceOptions = {}): Trace {
  const format = o.format ?? detectFormat(path);
  const label = basename(path).replace(/\.csv$/, '');
  let trace: Trace;
  switch (format) {
    case 'azure-llm':
      trace = parseAzureLlmCsv(readFileSync(path, 'utf8'), label);
      break;
    case 'azure-functions': {
      const fo: AzureFunctionsOptions = { seed: o.seed, top: o.functions, tailSample: o.tailSample, function: o.function, tokens: o.tokens };
      trace = parseAzureFunctionsCsv(readFileSync(path, 'utf8'), fo, label);
      break;
    }
    case 'servegen':
      return loadServeGen(path, o, label);
  }
  if (o.compress !== undefined && o.compress !== 1) throw invalid('compress', 'only ServeGen traces can be compressed');
  if (o.startMs !== undefined || o.durationMs !== undefined) {
    const from = o.startMs ?? 0;
    trace = sliceTrace(trace, from, o.durationMs === undefined ? Infinity : from + o.durationMs);
  }
  return trace;
}

function loadServeGen(path: string, o: LoadTraceOptions, label: string): Trace {
  let files: { name: string; path: string }[];
  if (statSync(path).isDirectory()) {
    const all = chunkFiles(path);
    files = o.chunks ? all.filter((f) => o.chunks?.includes(f.n)) : all;
    if (files.length === 0) throw invalid('chunks', `no chunk files selected in ${path}`);
  } else {
    files = [{ name: label.replace(/-trace$/, ''), path }];
  }
  const chunks = files.map((f) => ({ name: f.name, windows: parseServeGenCsv(readFileSync(f.path, 'utf8')) }));
  const so: ServeGenOptions = {
    seed: o.seed,
    fromS: o.startMs === undefined ? undefined : o.startMs / 1000,
    durationS: o.durationMs === undefined ? undefined : o.durationMs / 1000,
    compress: o.compress,
    tokens: o.tokens,
    perChunk: o.perChunk,
  };
  const name = files.length === 1 ? files[0].name : `${label}[${files.map((f) => f.name.replace('chunk-', '')).join(',')}]`;
  return buildServeGenTrace(chunks, so, name);
}
