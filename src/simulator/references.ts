/**
 * Two yardsticks for a policy's GPU-hours, computed from the trace alone:
 *  - work bound: the total sequence-time of the trace (each request's ideal service time on an idle
 *    replica, expectedServiceMs(prompt, completion, 1)) divided by maxNumSeqs: what perfectly packed,
 *    instantly started replicas would need. No real schedule gets there.
 *  - foresight: a schedule that knows the future. Per second, replicas needed = ceil(peak concurrent
 *    sequences within that second / maxNumSeqs), concurrency taken from the ideal service intervals. Each
 *    replica slot starts one cold start before it is first needed and is billed from its start; an idle gap
 *    shorter than a cold start is bridged (kept running) instead of stopped and restarted.
 */
import { expectedServiceMs } from '../engines/sim/service-model.js';
import type { SimEngineParams } from '../engines/sim/params.js';
import { splitByDeployment, type Trace } from './traces/trace.js';

export interface IdealLoad {
  /** per whole second of the trace: the most sequences running at once in that second */
  peakPerSecond: Uint32Array;
  /** total sequence-milliseconds */
  sequenceMs: number;
  /** highest concurrency */
  peak: number;
}

/** Ideal (uncontended) concurrency of a single-deployment trace, second by second. */
export function idealLoad(trace: Trace, p: SimEngineParams): IdealLoad {
  const n = trace.at.length;
  const ends = new Float64Array(n);
  let sequenceMs = 0;
  let last = trace.durationMs;
  for (let i = 0; i < n; i++) {
    const svc = Math.max(1e-6, expectedServiceMs(trace.promptTokens[i], trace.completionTokens[i], 1, p));
    sequenceMs += svc;
    ends[i] = trace.at[i] + svc;
    if (ends[i] > last) last = ends[i];
  }
  ends.sort();
  const seconds = Math.floor(last / 1000) + 1;
  const peakPerSecond = new Uint32Array(seconds);
  // sweep the constant-concurrency segments [t, tNext): ends before starts at the same instant
  const starts = trace.at;
  let cur = 0;
  let peak = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < n) {
    const t = i < n && starts[i] < ends[j] ? starts[i] : ends[j];
    while (j < n && ends[j] === t) {
      cur--;
      j++;
    }
    while (i < n && starts[i] === t) {
      cur++;
      i++;
    }
    if (cur > peak) peak = cur;
    if (cur > 0) {
      const tNext = i < n && starts[i] < ends[j] ? starts[i] : ends[j];
      const lastSec = Math.min(seconds - 1, Math.ceil(tNext / 1000) - 1);
      for (let k = Math.floor(t / 1000); k <= lastSec; k++) if (cur > peakPerSecond[k]) peakPerSecond[k] = cur;
    }
  }
  return { peakPerSecond, sequenceMs, peak };
}

export interface ForesightSchedule {
  /** GPU-ms of the schedule (x gpuCount) */
  gpuMs: number;
  /** replicas needed per second */
  needed: Uint32Array;
  peakReplicas: number;
}

/** The foresight schedule from per-second peak concurrency. */
export function foresightSchedule(load: IdealLoad, maxNumSeqs: number, coldStartMs: number, gpuCount: number): ForesightSchedule {
  const secs = load.peakPerSecond.length;
  const needed = new Uint32Array(secs);
  let peakReplicas = 0;
  for (let s = 0; s < secs; s++) {
    needed[s] = Math.ceil(load.peakPerSecond[s] / maxNumSeqs);
    if (needed[s] > peakReplicas) peakReplicas = needed[s];
  }
  const runStart = new Float64Array(peakReplicas + 1);
  const lastEnd = new Float64Array(peakReplicas + 1).fill(-1);
  let ms = 0;
  let prev = 0;
  const step = (s: number, now: number): void => {
    const want = s < secs ? needed[s] : 0;
    for (let k = prev + 1; k <= want; k++) {
      // a restart costs a cold start of billing; bridging costs the gap: take the cheaper
      ms += lastEnd[k] < 0 ? coldStartMs : Math.min(now - lastEnd[k], coldStartMs);
      runStart[k] = now;
    }
    for (let k = want + 1; k <= prev; k++) {
      ms += now - runStart[k];
      lastEnd[k] = now;
    }
    prev = want;
  };
  for (let s = 0; s < secs; s++) if (needed[s] !== prev) step(s, s * 1000);
  step(secs, secs * 1000);
  return { gpuMs: ms * gpuCount, needed, peakReplicas };
}

export interface References {
  workBound: { gpuHours: number };
  foresight: { gpuHours: number; peakReplicas: number };
}

const MS_PER_HOUR = 3_600_000;

/** Both references for a trace (multi-deployment traces: the sum over deployments). */
export function computeReferences(trace: Trace, p: SimEngineParams, coldStartMs: number, gpuCount: number): References {
  return referencesFromLoads(
    splitByDeployment(trace).map((part) => idealLoad(part, p)),
    p,
    coldStartMs,
    gpuCount,
  );
}

/** The references from each deployment's ideal load. */
export function referencesFromLoads(loads: readonly IdealLoad[], p: SimEngineParams, coldStartMs: number, gpuCount: number): References {
  let workMs = 0;
  let foresightMs = 0;
  let peakReplicas = 0;
  for (const load of loads) {
    workMs += (load.sequenceMs / p.maxNumSeqs) * gpuCount;
    const f = foresightSchedule(load, p.maxNumSeqs, coldStartMs, gpuCount);
    foresightMs += f.gpuMs;
    peakReplicas += f.peakReplicas;
  }
  return {
    workBound: { gpuHours: workMs / MS_PER_HOUR },
    foresight: { gpuHours: foresightMs / MS_PER_HOUR, peakReplicas },
  };
}
