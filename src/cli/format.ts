import { Option } from 'commander';
import { stringify } from 'yaml';
import { ApiError } from './client.js';
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

/** What `-o` takes everywhere (kubectl's set, less the templates). */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The `-o, --output <format>` option (`-O` is accepted too: buildProgram adds it as a hidden alias).
 * `extra` adds a command's own formats (the simulator's html).
 */
export function outputOption(extra: readonly string[] = [], fallback = 'table'): Option {
  return new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS, ...extra]).default(fallback);
}

/** The names in `-o name`: each item's `name` (else `id`); an error when the output has none. */
export function namesOf(data: unknown): string[] {
  const items = Array.isArray(data) ? data : [data];
  return items.map((item) => {
    const name = (item as { name?: unknown; id?: unknown } | null)?.name ?? (item as { id?: unknown } | null)?.id;
    if (typeof name !== 'string' && typeof name !== 'number')
      throw new ApiError(400, 'invalid_argument', 'output: this command prints no named objects; use -o table, json or yaml');
    return String(name);
  });
}

/** `data` in a machine format, or undefined for table (the caller's own text). */
export function render(format: string, data: unknown): string | undefined {
  if (format === 'json') return JSON.stringify(data, null, 2);
  if (format === 'yaml') return stringify(data).trimEnd();
  if (format === 'name') return namesOf(data).join('\n');
  return undefined;
}

export function output(format: string, data: unknown, human: () => string): void {
  const text = render(format, data) ?? human();
  cliIo().stdout.write(text === '' ? '' : `${text}\n`);
}
