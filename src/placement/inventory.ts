import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface GpuDevice {
  index: number;
  /** normalised type name used by deployments, e.g. "a100", "h100", "rtx4090", or the virtual type */
  type: string;
  /** the driver's product name, or "virtual" */
  product: string;
  memoryMb: number;
  virtual: boolean;
}

/** "NVIDIA A100-SXM4-80GB" -> "a100", "NVIDIA GeForce RTX 4090" -> "rtx4090", "NVIDIA RTX A5000" -> "a5000". */
export function normaliseGpuType(product: string): string {
  let s = product
    .toLowerCase()
    .replace(/\b(nvidia|geforce|tesla|quadro)\b/g, ' ')
    .trim();
  const rtx = /^rtx\s+(\d[\w]*)/.exec(s);
  if (rtx) return `rtx${rtx[1]}`;
  s = s.replace(/^rtx\s+/, '');
  const first = s.split(/[\s-]+/)[0] ?? '';
  return first.replace(/[^a-z0-9._-]/g, '') || 'gpu';
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(out: string): GpuDevice[] {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, product, mem] = line.split(',').map((x) => x.trim());
      return { index: Number(index), type: normaliseGpuType(product), product, memoryMb: Number(mem) || 0, virtual: false };
    })
    .filter((d) => Number.isInteger(d.index));
}

/** `count` virtual GPUs of `type`, each with `memoryMb` of memory (0: unknown, so no fractional replica fits). */
export function virtualGpus(count: number, type: string, memoryMb = 0): GpuDevice[] {
  return Array.from({ length: count }, (_, index) => ({ index, type, product: 'virtual', memoryMb, virtual: true }));
}

/** Detects NVIDIA GPUs; returns [] when nvidia-smi is missing or fails. */
export async function detectNvidiaGpus(run = promisify(execFile)): Promise<GpuDevice[]> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'], { timeout: 10_000 });
    return parseNvidiaSmi(String(stdout));
  } catch {
    return [];
  }
}
