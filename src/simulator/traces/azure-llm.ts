/**
 * Azure LLM inference trace (Splitwise, AzurePublicDataset): `TIMESTAMP,ContextTokens,GeneratedTokens`,
 * one request per row. Timestamps ("2023-11-16 18:17:03.9799600", taken as UTC) become ms offsets from
 * the first row; the first row's time is kept as the trace's epochMs.
 */
import { invalid } from '../../core/errors.js';
import { TraceBuilder, type Trace } from './trace.js';

const TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/;

/** Epoch ms of an Azure trace timestamp (sub-ms digits kept as a fraction). */
export function parseAzureTimestamp(text: string): number {
  const m = TS.exec(text.trim());
  if (!m) throw invalid('trace', `not an Azure trace timestamp: "${text}"`);
  const base = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return base + frac;
}

export function parseAzureLlmCsv(text: string, name = 'azure-llm'): Trace {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase() ?? '';
  if (!header.startsWith('timestamp')) throw invalid('trace', `Azure LLM CSV must start with "TIMESTAMP,ContextTokens,GeneratedTokens", got "${lines[0]}"`);
  const cols = header.split(',');
  const ctx = cols.indexOf('contexttokens');
  const gen = cols.indexOf('generatedtokens');
  if (ctx < 0 || gen < 0) throw invalid('trace', 'Azure LLM CSV needs ContextTokens and GeneratedTokens columns');
  const b = new TraceBuilder();
  let origin = NaN;
  let lastEpoch = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) continue;
    const f = line.split(',');
    const t = parseAzureTimestamp(f[0]);
    if (Number.isNaN(origin)) origin = t;
    const prompt = Number(f[ctx]);
    const completion = Number(f[gen]);
    if (!Number.isFinite(prompt) || !Number.isFinite(completion)) throw invalid('trace', `line ${i + 1}: token counts must be numbers`);
    b.push(t - origin, prompt, completion);
    lastEpoch = t;
  }
  const n = b.length;
  return b.finish({
    name,
    description: `Azure LLM trace: ${n} requests over ${((lastEpoch - (origin || 0)) / 1000).toFixed(0)} s, token counts as logged`,
    epochMs: Number.isNaN(origin) ? 0 : Math.round(origin),
  });
}
