/**
 * GPU memory sizes as deployments give them (`6Gi`, `512Mi`, `1.5Ti`), held in MiB (nvidia-smi's unit).
 */
import { invalid } from '../core/errors.js';

const UNITS: Record<string, number> = { mi: 1, mib: 1, gi: 1024, gib: 1024, ti: 1024 * 1024, tib: 1024 * 1024 };

/** `10Gi` -> 10240 (MiB); throws invalid_argument on `field` for anything that is not a size. */
export function parseMemorySize(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  const factor = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || factor === undefined) throw invalid(field, `"${text}" is not a memory size: give a number and a unit of Mi, Gi or Ti (e.g. 6Gi, 512Mi)`);
  const mb = Math.round(Number(m[1]) * factor);
  if (mb < 1) throw invalid(field, `"${text}" is not a memory size: it must be at least 1Mi`);
  return mb;
}

/** 10240 -> "10Gi", 1536 -> "1.5Gi", 300 -> "300Mi". */
export function formatMemory(mb: number): string {
  if (mb >= 1024) {
    const gi = mb / 1024;
    return `${Number.isInteger(gi) ? gi : Number(gi.toFixed(1))}Gi`;
  }
  return `${Math.round(mb)}Mi`;
}
