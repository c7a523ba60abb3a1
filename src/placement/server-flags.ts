/** The server's GPU-sharing flags: `--virtual-gpu-memory 80Gi` and `--packing binpack|spread`. */
import { PACKING_POLICIES, type PackingPolicy } from './placement.js';
import { parseMemorySize } from './size.js';

export function gpuSharing(memory: string | undefined, packing: string | undefined): { virtualGpuMemoryMb?: number; packing: PackingPolicy } {
  const policy = (packing ?? 'binpack') as PackingPolicy;
  if (!PACKING_POLICIES.includes(policy)) throw new Error(`--packing: must be one of ${PACKING_POLICIES.join(', ')}, got "${packing}"`);
  return { packing: policy, ...(memory === undefined ? {} : { virtualGpuMemoryMb: parseMemorySize(memory, '--virtual-gpu-memory') }) };
}
