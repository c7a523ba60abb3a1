/**
 * The pool model: the replicas of many simulated deployments replayed onto a pool of GPUs with memory,
 * each replica placed by the live controller's own placement (src/placement/placement.ts, binpack or
 * spread) as a fractional replica of `replicaMemoryMb`. A GPU is powered while any replica is on it, so
 * the pool's GPU-hours are what packing saves against one GPU per replica.
 *
 * The replay follows each deployment's replica count (ready + starting) from its simulation: it does not
 * feed back into it. A replica that finds no room is counted (`unplaced`) and left out of the pool, where
 * live it would wait pending; draining replicas leave the pool when they start draining.
 */
import { virtualGpus } from '../placement/inventory.js';
import { placeOnGpus, type GpuHold, type PackingPolicy } from '../placement/placement.js';
import type { DeploymentResult } from './engine/options.js';

export interface PoolSpec {
  gpus: number;
  gpuMemoryMb: number;
  /** memory of one replica of every deployment (the model and its KV cache) */
  replicaMemoryMb: number;
  policy: PackingPolicy;
}

export interface PoolResult {
  /** GPU-hours of powered GPUs (a GPU counts while any replica is on it) */
  gpuHours: number;
  /** replica-hours placed on the pool */
  replicaHours: number;
  /** most GPUs powered at once */
  peakGpus: number;
  /** most replicas on the pool at once */
  peakReplicas: number;
  /** replica starts that found no GPU with room (left out of the pool) */
  unplaced: number;
  /** most replicas asleep at once over all deployments (each holds its model in host RAM) */
  peakSleepers: number;
}

type PoolEvent = { t: number; k: number; delta: number };

/** The replica-count changes of every deployment, in time order (stops before starts at the same time). */
function replicaEvents(results: readonly Pick<DeploymentResult, 'timeline'>[]): PoolEvent[] {
  const out: PoolEvent[] = [];
  results.forEach((r, k) => {
    let prev = 0;
    const tl = r.timeline;
    for (let i = 0; i < tl.t.length; i++) {
      const n = tl.ready[i] + tl.starting[i];
      if (n !== prev) out.push({ t: tl.t[i], k, delta: n - prev });
      prev = n;
    }
  });
  return out.sort((a, b) => a.t - b.t || a.delta - b.delta || a.k - b.k);
}

/** The most sleepers at once, over all deployments. */
function peakSleepers(results: readonly Pick<DeploymentResult, 'sleeping'>[]): number {
  const ev: Array<[number, number]> = [];
  for (const r of results) {
    if (!r.sleeping) continue;
    let prev = 0;
    for (let i = 0; i < r.sleeping.t.length; i++) {
      ev.push([r.sleeping.t[i], r.sleeping.n[i] - prev]);
      prev = r.sleeping.n[i];
    }
  }
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0;
  let peak = 0;
  for (const [, d] of ev) peak = Math.max(peak, (n += d));
  return peak;
}

/** Replays the deployments' replicas onto the pool; `endMs`: the end of the simulated time. */
export function replayPool(results: readonly Pick<DeploymentResult, 'timeline' | 'sleeping'>[], spec: PoolSpec, endMs: number): PoolResult {
  const devices = virtualGpus(spec.gpus, 'pool', spec.gpuMemoryMb);
  const need = { gpuType: 'pool', gpuCount: 1, memoryMb: spec.replicaMemoryMb };
  const holds: GpuHold[] = [];
  /** per deployment: its replicas on the pool (null: one that found no room), newest last */
  const placed = results.map(() => [] as Array<GpuHold | null>);
  const onGpu = new Array<number>(spec.gpus).fill(0);
  const poweredSince = new Array<number>(spec.gpus).fill(0);
  let gpuMs = 0;
  let replicaMs = 0;
  let powered = 0;
  let peakGpus = 0;
  let peakReplicas = 0;
  let unplaced = 0;
  let next = 0;
  const leave = (h: GpuHold, t: number) => {
    holds.splice(holds.indexOf(h), 1);
    const g = h.gpus[0];
    if (--onGpu[g] === 0) {
      gpuMs += t - poweredSince[g];
      powered--;
    }
  };
  let lastT = 0;
  for (const e of replicaEvents(results)) {
    replicaMs += holds.length * (e.t - lastT);
    lastT = e.t;
    for (let i = 0; i < e.delta; i++) {
      const p = placeOnGpus(devices, holds, need, spec.policy);
      if (!p.ok) {
        unplaced++;
        placed[e.k].push(null);
        continue;
      }
      const h: GpuHold = { replicaId: String(next++), gpus: p.gpus, memoryMb: spec.replicaMemoryMb };
      holds.push(h);
      placed[e.k].push(h);
      const g = p.gpus[0];
      if (onGpu[g]++ === 0) {
        poweredSince[g] = e.t;
        powered++;
      }
    }
    for (let i = 0; i > e.delta; i--) {
      const h = placed[e.k].pop();
      if (h) leave(h, e.t);
    }
    peakGpus = Math.max(peakGpus, powered);
    peakReplicas = Math.max(peakReplicas, holds.length);
  }
  replicaMs += holds.length * Math.max(0, endMs - lastT);
  for (const h of [...holds]) leave(h, Math.max(endMs, lastT));
  return {
    gpuHours: gpuMs / 3_600_000,
    replicaHours: replicaMs / 3_600_000,
    peakGpus,
    peakReplicas,
    unplaced,
    peakSleepers: peakSleepers(results),
  };
}

/** The result with its hours rounded for a report. */
export function roundPool(r: PoolResult): PoolResult {
  const h = (x: number) => Math.round(x * 10_000) / 10_000;
  return { ...r, gpuHours: h(r.gpuHours), replicaHours: h(r.replicaHours) };
}
