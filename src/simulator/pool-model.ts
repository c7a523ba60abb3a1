/**
 * The pool model: the replicas of many simulated deployments replayed onto a pool of GPUs with memory,
 * each replica placed by the live controller's own placement (src/placement/placement.ts, binpack or
 * spread) as a fractional replica of `replicaMemoryMb`. A GPU is powered while any replica is on it, so
 * the pool's GPU-hours are what packing saves against one GPU per replica.
 *
 * The replay follows each deployment's replica count (ready + starting) from its simulation. A replica that
 * finds no room waits (pending, first come first placed) until another leaves; a scale-down cancels a
 * deployment's pending replicas first. Sleepers (from the simulation's sleep log) hold host RAM: with a RAM
 * budget per host, a new sleeper that does not fit evicts the least recently slept ones (the live
 * evictForRam, src/controller/sleepers.ts). What the pool did to each deployment (its waits for room, its
 * evicted sleepers) comes back as PoolConstraints, which pool/feedback.ts feeds into a new simulation of
 * the deployments it changed. Draining replicas leave the pool when they start draining.
 */
import { evictForRam, type Sleeper } from '../controller/sleepers.js';
import { virtualGpus } from '../placement/inventory.js';
import { placeOnGpus, type GpuHold, type PackingPolicy } from '../placement/placement.js';
import type { DeploymentResult } from './engine/options.js';
import type { PoolConstraints } from './pool/constraints.js';

export interface PoolSpec {
  gpus: number;
  gpuMemoryMb: number;
  /** memory of one replica of every deployment (the model and its KV cache) */
  replicaMemoryMb: number;
  policy: PackingPolicy;
  /** host RAM for sleepers per host (`server --sleep-ram`), MiB; absent: sleepers are not bounded */
  sleepRamPerHostMb?: number;
  /** GPUs per host (the pool has ceil(gpus / gpusPerHost) hosts); default 8 */
  gpusPerHost?: number;
  /** host RAM one sleeper holds (its weights), MiB; default replicaMemoryMb */
  sleeperRamMb?: number;
}

export const DEFAULT_GPUS_PER_HOST = 8;

export interface PoolResult {
  /** GPU-hours of powered GPUs (a GPU counts while any replica is on it) */
  gpuHours: number;
  /** replica-hours placed on the pool */
  replicaHours: number;
  /** most GPUs powered at once */
  peakGpus: number;
  /** most replicas on the pool at once */
  peakReplicas: number;
  /** replica starts that found no GPU with room and waited (pending) */
  unplaced: number;
  /** of those, the ones never placed (cancelled by a scale-down, or still waiting at the end) */
  neverPlaced: number;
  /** hours replicas waited for room, summed */
  pendingHours: number;
  /** most replicas asleep at once over all deployments (each holds its model in host RAM) */
  peakSleepers: number;
  /** sleepers evicted for host RAM (least recently slept first) */
  evictions: number;
  /** with the verdicts fed back (pool/feedback.ts): simulations again, and deployments still changing after the last */
  rounds?: number;
  stillChanging?: number;
}

type PoolEvent = { t: number; k: number; delta: number; sleep: boolean };

/** Replica-count changes and sleeps/wakes of every deployment, in time order. */
function poolEvents(results: readonly Pick<DeploymentResult, 'timeline' | 'sleepLog'>[]): PoolEvent[] {
  const out: PoolEvent[] = [];
  results.forEach((r, k) => {
    let prev = 0;
    const tl = r.timeline;
    for (let i = 0; i < tl.t.length; i++) {
      const n = tl.ready[i] + tl.starting[i];
      if (n !== prev) out.push({ t: tl.t[i], k, delta: n - prev, sleep: false });
      prev = n;
    }
    const log = r.sleepLog;
    if (log) for (let i = 0; i < log.t.length; i++) out.push({ t: log.t[i], k, delta: log.d[i], sleep: true });
  });
  // at one time: replicas leave, sleepers wake, sleepers come, replicas come (then the waiting are placed)
  const rank = (e: PoolEvent) => (e.sleep ? (e.delta < 0 ? 1 : 2) : e.delta < 0 ? 0 : 3);
  return out.sort((a, b) => a.t - b.t || rank(a) - rank(b) || a.k - b.k);
}

interface PoolSleeper extends Sleeper {
  k: number;
}

export interface PoolReplay {
  result: PoolResult;
  /** per deployment: what the pool did to it */
  constraints: PoolConstraints[];
}

/** The pool's host-RAM budget for sleepers, MiB (Infinity when not bounded). */
export function sleepBudgetMb(spec: PoolSpec): number {
  if (spec.sleepRamPerHostMb === undefined) return Infinity;
  return Math.ceil(spec.gpus / (spec.gpusPerHost ?? DEFAULT_GPUS_PER_HOST)) * spec.sleepRamPerHostMb;
}

/** Replays the deployments onto the pool; `endMs`: the end of the simulated time. */
export function replayPoolVerdicts(results: readonly Pick<DeploymentResult, 'timeline' | 'sleepLog'>[], spec: PoolSpec, endMs: number): PoolReplay {
  const devices = virtualGpus(spec.gpus, 'pool', spec.gpuMemoryMb);
  const need = { gpuType: 'pool', gpuCount: 1, memoryMb: spec.replicaMemoryMb };
  const budget = sleepBudgetMb(spec);
  const sleeperMb = spec.sleeperRamMb ?? spec.replicaMemoryMb;
  const holds: GpuHold[] = [];
  /** per deployment: its replicas on the pool, newest last */
  const placed = results.map(() => [] as GpuHold[]);
  /** replicas waiting for room, first come first placed */
  const waiting: Array<{ k: number; since: number }> = [];
  const windows = results.map(() => [] as Array<[number, number]>);
  const evictAt = results.map(() => [] as number[]);
  let sleepers: PoolSleeper[] = [];
  const onGpu = new Array<number>(spec.gpus).fill(0);
  const poweredSince = new Array<number>(spec.gpus).fill(0);
  let gpuMs = 0;
  let replicaMs = 0;
  let pendingMs = 0;
  let powered = 0;
  let peakGpus = 0;
  let peakReplicas = 0;
  let peakSleepers = 0;
  let unplaced = 0;
  let neverPlaced = 0;
  let evictions = 0;
  let next = 0;
  const leave = (h: GpuHold, t: number) => {
    holds.splice(holds.indexOf(h), 1);
    const g = h.gpus[0];
    if (--onGpu[g] === 0) {
      gpuMs += t - poweredSince[g];
      powered--;
    }
  };
  const tryPlace = (k: number, t: number): boolean => {
    const p = placeOnGpus(devices, holds, need, spec.policy);
    if (!p.ok) return false;
    const h: GpuHold = { replicaId: String(next++), gpus: p.gpus, memoryMb: spec.replicaMemoryMb };
    holds.push(h);
    placed[k].push(h);
    const g = p.gpus[0];
    if (onGpu[g]++ === 0) {
      poweredSince[g] = t;
      powered++;
    }
    return true;
  };
  const endWait = (w: { k: number; since: number }, t: number) => {
    windows[w.k].push([w.since, t]);
    pendingMs += t - w.since;
  };
  let lastT = 0;
  const events = poolEvents(results);
  for (let i = 0; i < events.length; ) {
    const t = events[i].t;
    replicaMs += holds.length * (t - lastT);
    lastT = t;
    for (; i < events.length && events[i].t === t; i++) {
      const e = events[i];
      if (e.sleep) {
        if (e.delta < 0) {
          // a wake takes the deployment's newest sleeper (it may have been evicted meanwhile)
          let j = -1;
          for (let s = 0; s < sleepers.length; s++) if (sleepers[s].k === e.k && (j < 0 || sleepers[s].sleptAt >= sleepers[j].sleptAt)) j = s;
          if (j >= 0) sleepers.splice(j, 1);
          continue;
        }
        sleepers.push({ id: String(next++), k: e.k, sleptAt: t, ramBytes: sleeperMb, gpus: [] });
        const out = evictForRam(sleepers, budget);
        if (out.length > 0) {
          const gone = new Set(out);
          sleepers = sleepers.filter((s) => !gone.has(s));
          for (const s of out) evictAt[s.k].push(t);
          evictions += out.length;
        }
        peakSleepers = Math.max(peakSleepers, sleepers.length);
        continue;
      }
      for (let n = 0; n > e.delta; n--) {
        // a scale-down cancels this deployment's waiting replicas first (newest first), then its placed ones
        let w = -1;
        for (let q = waiting.length - 1; q >= 0; q--) {
          if (waiting[q].k === e.k) {
            w = q;
            break;
          }
        }
        if (w >= 0) {
          endWait(waiting[w], t);
          waiting.splice(w, 1);
          neverPlaced++;
          continue;
        }
        const h = placed[e.k].pop();
        if (h) leave(h, t);
      }
      for (let n = 0; n < e.delta; n++) {
        if (waiting.length === 0 && tryPlace(e.k, t)) continue;
        unplaced++;
        waiting.push({ k: e.k, since: t });
      }
    }
    // room freed at t goes to the replicas waiting longest
    while (waiting.length > 0 && tryPlace(waiting[0].k, t)) endWait(waiting.shift() as { k: number; since: number }, t);
    peakGpus = Math.max(peakGpus, powered);
    peakReplicas = Math.max(peakReplicas, holds.length);
  }
  const end = Math.max(endMs, lastT);
  replicaMs += holds.length * Math.max(0, end - lastT);
  for (const h of [...holds]) leave(h, end);
  for (const w of waiting) endWait(w, end);
  neverPlaced += waiting.length;
  return {
    result: {
      gpuHours: gpuMs / 3_600_000,
      replicaHours: replicaMs / 3_600_000,
      peakGpus,
      peakReplicas,
      unplaced,
      neverPlaced,
      pendingHours: pendingMs / 3_600_000,
      peakSleepers,
      evictions,
    },
    constraints: results.map((_, k) => ({ evictAt: evictAt[k], pending: windows[k].sort((a, b) => a[0] - b[0] || a[1] - b[1]) })),
  };
}

/** Replays the deployments' replicas onto the pool; `endMs`: the end of the simulated time. */
export function replayPool(results: readonly Pick<DeploymentResult, 'timeline' | 'sleepLog'>[], spec: PoolSpec, endMs: number): PoolResult {
  return replayPoolVerdicts(results, spec, endMs).result;
}

/** The result with its hours rounded for a report. */
export function roundPool(r: PoolResult): PoolResult {
  const h = (x: number) => Math.round(x * 10_000) / 10_000;
  return { ...r, gpuHours: h(r.gpuHours), replicaHours: h(r.replicaHours), pendingHours: h(r.pendingHours) };
}
