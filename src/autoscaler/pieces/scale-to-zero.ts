/**
 * Idle-gated scale to zero. Idle means no arrivals, nothing in flight and nothing queued or held: a long
 * stream keeps `ongoing > 0` for as long as it runs, so a deployment is never idle while one is open, and
 * idle time counts from the end of the last activity (finished streams stop counting at once).
 */
import type { LoadSample } from '../types.js';

const EPS = 1e-9;

export function isActive(s: LoadSample): boolean {
  return s.arrivals > EPS || s.ongoing > EPS || s.queued > EPS;
}

/**
 * The latest time anything happened: the newest active sample, `now` when requests are held at the
 * gateway, or `prev` (kept in policy state, since the sample buffer only reaches back an hour).
 */
export function lastActivityAt(samples: readonly LoadSample[], now: number, prev: number, heldAtZero = 0): number {
  if (heldAtZero > 0) return now;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i];
    if (s.at <= prev) break;
    if (s.at <= now && isActive(s)) return s.at;
  }
  return prev;
}

export interface ZeroGateInput {
  now: number;
  /** from lastActivityAt, or later (e.g. when the last replica became ready) */
  idleSince: number;
  idleAfterMs: number;
  minReplicas: number;
  /** replicas still on their way: never scale those to zero (kserve#1247) */
  starting: number;
  heldAtZero: number;
}

export interface ZeroGate {
  allowed: boolean;
  idleMs: number;
  /** why not, or "idle 5m >= 5m" */
  reason: string;
}

/** May the deployment go to zero now? */
export function scaleToZeroGate(g: ZeroGateInput): ZeroGate {
  const idleMs = Math.max(0, g.now - g.idleSince);
  if (g.minReplicas > 0) return { allowed: false, idleMs, reason: `min ${g.minReplicas}` };
  if (g.heldAtZero > 0) return { allowed: false, idleMs: 0, reason: `${g.heldAtZero} held` };
  if (g.starting > 0) return { allowed: false, idleMs, reason: `${g.starting} starting, never scaled to zero` };
  if (idleMs < g.idleAfterMs) return { allowed: false, idleMs, reason: 'not idle long enough' };
  return { allowed: true, idleMs, reason: 'idle' };
}
