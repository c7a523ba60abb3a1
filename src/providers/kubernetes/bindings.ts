/** Which pod each waiting replica gets; a per-key lock for a Deployment's scale writes; waiting on watch events. */
import type { Clock } from '../../core/clock.js';
import { isLive, type PodView } from './pods.js';

/**
 * Pure: pairs replicas waiting for a pod (in start order) with free live pods of their Deployment, best
 * first: ready, then scheduled, then oldest. A pod is free when no known replica holds it (its annotation
 * may name a replica that is gone).
 */
export function choosePods<E extends { workload: string; podName?: string }>(
  waiting: readonly E[],
  pods: readonly PodView[],
  all: readonly { podName?: string }[],
  known: (replicaId: string) => boolean,
): [E, PodView][] {
  const taken = new Set(all.map((e) => e.podName));
  const free = pods
    .filter((v) => isLive(v) && !taken.has(v.name) && (!v.replicaId || !known(v.replicaId)))
    .sort((a, b) => Number(b.ready) - Number(a.ready) || Number(!!b.nodeName) - Number(!!a.nodeName) || a.createdAt - b.createdAt);
  const out: [E, PodView][] = [];
  for (const e of waiting) {
    const i = free.findIndex((v) => v.workload === e.workload);
    if (i >= 0) out.push([e, free.splice(i, 1)[0]]);
  }
  return out;
}

/** Runs functions one at a time per key, in call order; a failure does not block the next. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** Waits for a condition re-checked on every watch event (notify), with a timeout on the injected clock. */
export class ChangeWaiters {
  private readonly checks = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  notify(): void {
    for (const c of [...this.checks]) c();
  }

  /** Resolves with cond's first value other than undefined; undefined after timeoutMs. */
  until<T>(cond: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = cond();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (v: T | undefined) => {
        this.checks.delete(check);
        timer.cancel();
        resolve(v);
      };
      const check = () => {
        const v = cond();
        if (v !== undefined) done(v);
      };
      const timer = this.clock.setTimeout(() => done(undefined), timeoutMs);
      this.checks.add(check);
    });
  }
}
