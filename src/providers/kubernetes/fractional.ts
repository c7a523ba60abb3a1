/**
 * Fractional GPU replicas (`--gpu-memory`) in a Kubernetes zone (issue #16, docs/kubernetes.md "Fractional
 * GPUs"). Kubernetes has no fractional `nvidia.com/gpu`: the zone's `fractionalGpus` says which of the
 * ecosystem's ways its nodes offer, and this module turns a replica's memory into the extended resources its
 * pod asks for and the share its engine is told (vLLM `--gpu-memory-utilization`, SGLang
 * `--mem-fraction-static`, as on local GPUs). Pure: the zone and the memory in, plain data or a refusal out.
 */
import { InferscaleError } from '../../core/errors.js';
import { formatMemory, parseMemorySize } from '../../placement/size.js';
import type { KubernetesZoneConfig } from '../../zones/config.js';

export interface FractionalRequest {
  /** extended resources the engine container requests and is limited to (equal: they cannot be overcommitted) */
  resources: Record<string, string>;
  /** the engine's share: `shareMb` of the `totalMb` the engine sees on its device */
  share: { shareMb: number; totalMb: number };
  /** what the pod asks for, in words (events, describe) */
  what: string;
  /**
   * the share of one GPU it holds, what its quota and cost count: a MIG profile's compute slices of the GPU's
   * 7 (`1g.10gb`: 1/7, as clouds price MIG), one of `slicesPerGpu` time-slicing or MPS slices, else its memory
   * over the GPU's declared memory (HAMi, time-slicing without slices)
   */
  gpus: number;
}

/** The stable reasons (`details.reason`) of a refused fractional deployment in a Kubernetes zone. */
export type FractionalRefusal = 'no_fractional_gpus' | 'gpu_memory_unknown' | 'no_mig_profiles' | 'larger_than_gpu' | 'larger_than_slice';

function refuse(code: 'invalid_argument' | 'unsupported', reason: FractionalRefusal, message: string): InferscaleError {
  return new InferscaleError(code, `gpuMemory: ${message}`, { field: 'gpuMemory', reason });
}

/**
 * The memory of a MIG profile in MiB, from the GB in its name (`1g.10gb`: 10 GB = 9536 MiB). NVIDIA's names
 * round the slice's memory; reading them as decimal GB stays at or under what the slices have (an H100 80GB
 * `1g.10gb` has 9.75 GiB), so a replica never gets a slice smaller than it asked for.
 */
export function migProfileMb(profile: string): number {
  const gb = Number(/\.(\d+)gb$/.exec(profile)?.[1] ?? 0);
  return Math.floor((gb * 1e9) / 2 ** 20);
}

/** The smallest profile that holds `memoryMb` (ties: fewer compute slices), or undefined when none does. */
export function smallestMigProfile(profiles: readonly string[], memoryMb: number): string | undefined {
  const slices = (p: string) => Number(p.split('g.')[0]);
  return profiles
    .filter((p) => migProfileMb(p) >= memoryMb)
    .sort((a, b) => migProfileMb(a) - migProfileMb(b) || slices(a) - slices(b) || a.localeCompare(b))[0];
}

/** compute slices of a MIG-capable GPU (A100, H100, H200): a profile `Ng.*` holds N of them */
const MIG_SLICES = 7;

/** The declared memory of one GPU of a type in the zone (MiB), or a refusal naming the zones file field. */
function gpuMemoryMb(zone: KubernetesZoneConfig, gpuType: string): number {
  const text = zone.gpuTypes[gpuType]?.memory;
  if (!text)
    throw refuse(
      'unsupported',
      'gpu_memory_unknown',
      `the memory of zone "${zone.name}"'s ${gpuType} GPUs is not declared; add gpuTypes.${gpuType}.memory (e.g. 80Gi) to the zones file`,
    );
  return parseMemorySize(text, `gpuTypes.${gpuType}.memory`);
}

/**
 * What a replica needing `memoryMb` on one `gpuType` GPU asks for in `zone`. Throws (field gpuMemory, a stable
 * `reason`) when the zone declares no fractional GPUs, when what the share is measured against is not declared,
 * or when the memory does not fit one GPU, slice or MIG profile.
 */
export function fractionalRequest(zone: KubernetesZoneConfig, gpuType: string, memoryMb: number): FractionalRequest {
  const f = zone.fractionalGpus;
  if (!f)
    throw refuse(
      'unsupported',
      'no_fractional_gpus',
      `zone "${zone.name}" runs whole GPUs only; declare how a replica asks for a share of a GPU under "fractionalGpus" in the zones file (mode time-slicing, mps, hami or mig), or use --gpu-count`,
    );
  const size = formatMemory(memoryMb);
  if (f.mode === 'mig') {
    const profiles = zone.gpuTypes[gpuType]?.migProfiles;
    if (!profiles)
      throw refuse(
        'unsupported',
        'no_mig_profiles',
        `zone "${zone.name}" shares GPUs by MIG but declares no MIG profiles for ${gpuType}; add gpuTypes.${gpuType}.migProfiles (e.g. ["1g.10gb", "3g.40gb"]) to the zones file`,
      );
    const profile = smallestMigProfile(profiles, memoryMb);
    if (!profile) {
      const largest = [...profiles].sort((a, b) => migProfileMb(b) - migProfileMb(a))[0];
      throw refuse(
        'invalid_argument',
        'larger_than_gpu',
        `${size} is more than the largest MIG profile of ${gpuType} in zone "${zone.name}" holds (${largest}: ${formatMemory(migProfileMb(largest))})`,
      );
    }
    const totalMb = migProfileMb(profile);
    return {
      resources: { [`${f.resourcePrefix}${profile}`]: '1' },
      share: { shareMb: memoryMb, totalMb },
      what: `MIG ${profile}`,
      gpus: Math.min(1, Number(/^(\d+)g\./.exec(profile)?.[1] ?? MIG_SLICES) / MIG_SLICES),
    };
  }
  const totalMb = gpuMemoryMb(zone, gpuType);
  if (memoryMb > totalMb)
    throw refuse('invalid_argument', 'larger_than_gpu', `${size} is more than a ${gpuType} GPU of zone "${zone.name}" has (${formatMemory(totalMb)})`);
  if (f.mode === 'hami') {
    // HAMi-core limits the container to gpumem and reports that as its device's memory
    return {
      resources: { [f.resource]: '1', [f.memoryResource]: String(memoryMb) },
      share: { shareMb: memoryMb, totalMb: memoryMb },
      what: `${size} of one GPU (HAMi)`,
      gpus: memoryMb / totalMb,
    };
  }
  if (f.slicesPerGpu !== undefined) {
    const slice = Math.floor(totalMb / f.slicesPerGpu);
    if (memoryMb > slice)
      throw refuse(
        'invalid_argument',
        'larger_than_slice',
        `${size} is more than one of the ${f.slicesPerGpu} ${f.mode} slices of a ${gpuType} GPU in zone "${zone.name}" (${formatMemory(slice)}): a GPU full of such replicas would not fit`,
      );
  }
  return {
    resources: { [f.resource]: '1' },
    share: { shareMb: memoryMb, totalMb },
    what: `one ${f.mode} slice of a ${gpuType} GPU (${size} of it)`,
    gpus: f.slicesPerGpu !== undefined ? 1 / f.slicesPerGpu : memoryMb / totalMb,
  };
}
