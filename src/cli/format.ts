import { cliIo } from './io.js';

/** Prints rows as an aligned table with a header. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** Key/value block for `show`. */
export function keyValues(pairs: [string, unknown][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v === null || v === undefined || v === '' ? '-' : String(v)}`).join('\n');
}

export type OutputFormat = 'table' | 'json';

export function output(format: OutputFormat, json: unknown, human: () => string): void {
  cliIo().stdout.write(`${format === 'json' ? JSON.stringify(json, null, 2) : human()}\n`);
}
