/**
 * The host RAM a sleeping replica holds where its engine does not say (vLLM's /sleep answers an empty 200).
 * At sleep level 1 vLLM copies its weights to host RAM and drops its KV cache, so the weights are the figure:
 * the stored model's weight files where it loaded one (a repository directory or a single file), else the GPU
 * memory the replica held awake, an upper bound (weights, KV cache and activations together).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SleepHint, SleepResult } from '../types.js';

/**
 * The weight formats of a model directory in the order an engine picks them: vLLM loads `*.safetensors` where
 * a repository has them (a `pytorch_model.bin` beside them is a copy it does not load), else the PyTorch files.
 */
const WEIGHT_FORMATS: readonly (readonly string[])[] = [['.safetensors'], ['.gguf'], ['.bin', '.pt', '.pth']];

/** The bytes an engine loads from a model directory's top-level files (name and size): the first weight format present. */
export function weightBytesOf(files: readonly { name: string; bytes: number }[]): number {
  for (const exts of WEIGHT_FORMATS) {
    const of = files.filter((f) => exts.some((e) => f.name.toLowerCase().endsWith(e)));
    if (of.length > 0) return of.reduce((s, f) => s + f.bytes, 0);
  }
  return 0;
}

/** The weight bytes of a stored model: a single file's size, or a directory's weight files; 0 when there are none or it is gone. */
export async function storedWeightBytes(path: string): Promise<number> {
  try {
    const st = await stat(path);
    if (st.isFile()) return st.size;
    const files: { name: string; bytes: number }[] = [];
    for (const e of await readdir(path, { withFileTypes: true })) {
      // a repository's files may be links into a shared cache: their size is the target's
      const s = await stat(join(path, e.name)).catch(() => undefined);
      if (s?.isFile()) files.push({ name: e.name, bytes: s.size });
    }
    return weightBytesOf(files);
  } catch {
    return 0;
  }
}

/** The engine's own figure where it gave one; else the stored weights; else the GPU memory as an upper bound; else nothing. */
export async function hostRamOfSleep(reported: SleepResult, hint: SleepHint | undefined): Promise<SleepResult> {
  if (reported.hostRamBytes !== undefined) return reported;
  const weights = hint?.modelPath ? await storedWeightBytes(hint.modelPath) : 0;
  if (weights > 0) return { hostRamBytes: weights, hostRamFrom: 'model-weights' };
  if (hint?.gpuMemoryBytes) return { hostRamBytes: hint.gpuMemoryBytes, hostRamFrom: 'gpu-memory' };
  return {};
}
