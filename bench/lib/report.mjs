// Shared by the benchmarks: the machine line and replacing one section of docs/benchmarks.md.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export function machine() {
  const c = cpus();
  return `Machine: ${c.length} cores (${c[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`;
}

/** Replaces (or appends) the section starting with `heading` up to the next "## " heading. */
export function updateSection(path, heading, body) {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(`${heading}\n`);
  const section = `${heading}\n\n${body.trim()}\n\n`;
  if (start < 0) {
    writeFileSync(path, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  writeFileSync(path, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
}

/** The facts of this machine for a benchmark's record: nproc, CPU model, Node, load average, date. */
export function machineFacts() {
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {}
  const model = existsSync('/proc/cpuinfo') ? /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] : undefined;
  return {
    nproc,
    cpu: (model ?? cpus()[0]?.model ?? '?').trim(),
    node: process.version,
    load: loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  };
}
