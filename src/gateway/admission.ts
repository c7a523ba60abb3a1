import type { Clock, Timer } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { pickLeastOutstanding, countRoutable, type RoutableReplica } from './balancer.js';

/**
 * Per-deployment admission: route to a replica under its cap, or hold the request in a bounded FIFO queue
 * with a timeout, or refuse it with a stable code and a Retry-After estimate. Callback-based and
 * synchronous so that the live gateway and the discrete-event simulator run the very same code.
 */
export interface AdmissionOptions {
  clock: Clock;
  /** per-replica cap on outstanding requests (Ray Serve's max_ongoing_requests) */
  maxOngoingPerReplica: number;
  /** queue bound in front of the replicas */
  maxQueued: number;
  /** how long a request may wait in the queue */
  queueTimeoutMs: number;
  /** seconds until capacity is likely (from measured cold starts), for Retry-After */
  retryAfterSeconds: () => number;
  /**
   * What to do with no replica ready and none on its way: 'hold' queues and wakes the deployment
   * (autoscaling down to zero), 'reject' answers deployment_stopped at once (scaled to zero by hand).
   */
  whenEmpty: () => 'hold' | 'reject';
  /** called once per request held while nothing is ready, so scale-from-zero starts at once */
  onWake?: () => void;
  /** replicas that are starting or pending (count as coming capacity: hold instead of reject) */
  comingReplicas?: () => number;
}

/** The limits a deployment's spec sets (PATCH-able while requests are in flight or queued). */
export type AdmissionLimits = Pick<AdmissionOptions, 'maxOngoingPerReplica' | 'maxQueued' | 'queueTimeoutMs'>;

export type Grant<R> = (err: InferscaleError | null, replica?: R, waitedMs?: number) => void;

interface Waiter<R> {
  grant: Grant<R>;
  enqueuedAt: number;
  timer: Timer;
  exclude?: R;
  done: boolean;
}

const NOOP = () => undefined;

export class Admission<R extends RoutableReplica> {
  private replicas: R[] = [];
  private readonly queue: Waiter<R>[] = [];
  private head = 0;
  private rotation = 0;
  private ongoingCount = 0;
  private waiting = 0;
  private readonly opts: AdmissionOptions;
  /** set by `close`: every request from then on gets this error */
  private closedWith?: InferscaleError;

  constructor(opts: AdmissionOptions) {
    this.opts = { ...opts };
  }

  /**
   * Applies changed limits at once (a PATCH of the deployment): a higher per-replica cap serves the queue
   * now; requests in flight above a lowered cap finish, and no new one is sent until the replica is under
   * it. A lowered queue bound refuses the newest waiters beyond it (queue_full, as they would have been on
   * arrival) and keeps the oldest in their place; a new queue timeout counts from each waiter's arrival, so
   * a waiter already past it gets queue_timeout now.
   */
  setLimits(l: AdmissionLimits): void {
    const o = this.opts;
    if (l.maxOngoingPerReplica === o.maxOngoingPerReplica && l.maxQueued === o.maxQueued && l.queueTimeoutMs === o.queueTimeoutMs) return;
    const timeoutChanged = l.queueTimeoutMs !== o.queueTimeoutMs;
    o.maxOngoingPerReplica = l.maxOngoingPerReplica;
    o.maxQueued = l.maxQueued;
    o.queueTimeoutMs = l.queueTimeoutMs;
    this.dispatch();
    const pending = this.queue.slice(this.head).filter((w) => !w.done);
    for (let i = pending.length - 1; i >= 0 && this.waiting > o.maxQueued; i--) {
      const w = pending[i];
      w.done = true;
      this.waiting--;
      w.timer.cancel();
      w.grant(
        new InferscaleError('queue_full', `request queue is full (its bound was lowered to ${o.maxQueued})`, { retryAfterSeconds: o.retryAfterSeconds() }),
      );
    }
    if (timeoutChanged) {
      const now = o.clock.now();
      for (const w of pending) {
        if (w.done) continue;
        w.timer.cancel();
        const left = w.enqueuedAt + o.queueTimeoutMs - now;
        if (left <= 0) this.expire(w);
        else w.timer = o.clock.setTimeout(() => this.expire(w), left);
      }
    }
    this.compact();
  }

  setReplicas(replicas: R[]): void {
    this.replicas = replicas;
    this.dispatch();
  }

  get replicaList(): readonly R[] {
    return this.replicas;
  }

  /** requests waiting in the queue */
  get queued(): number {
    return this.waiting;
  }

  /** requests granted a replica and not yet released */
  get ongoing(): number {
    return this.ongoingCount;
  }

  /**
   * Calls `grant` exactly once: with a replica (its inflight already counted) or with an error, unless
   * the returned `cancel` is called first (the client went away while queued: its slot frees at once).
   */
  acquire(grant: Grant<R>, exclude?: R): () => void {
    const o = this.opts;
    if (this.closedWith) {
      grant(this.closedWith);
      return NOOP;
    }
    if (this.queued === 0) {
      const r = pickLeastOutstanding(this.replicas, o.maxOngoingPerReplica, this.rotation++, exclude);
      if (r) {
        this.take(r);
        grant(null, r, 0);
        return NOOP;
      }
    }
    const nothingComing = countRoutable(this.replicas) === 0 && (o.comingReplicas?.() ?? 0) === 0;
    if (nothingComing && o.whenEmpty() === 'reject') {
      grant(
        new InferscaleError('deployment_stopped', 'deployment is scaled to zero; scale it up to serve requests', {
          retryAfterSeconds: o.retryAfterSeconds(),
        }),
      );
      return NOOP;
    }
    if (this.queued >= o.maxQueued) {
      grant(
        new InferscaleError('queue_full', `request queue is full (${o.maxQueued} waiting)`, {
          retryAfterSeconds: o.retryAfterSeconds(),
        }),
      );
      return NOOP;
    }
    const w: Waiter<R> = { grant, enqueuedAt: o.clock.now(), exclude, done: false, timer: undefined as unknown as Timer };
    w.timer = o.clock.setTimeout(() => this.expire(w), o.queueTimeoutMs);
    this.queue.push(w);
    this.waiting++;
    if (countRoutable(this.replicas) === 0) o.onWake?.();
    return () => {
      if (w.done) return;
      w.done = true;
      this.waiting--;
      w.timer.cancel();
      this.compact();
    };
  }

  /** Gives a replica's slot back (request finished, failed or aborted) and serves the queue. */
  release(r: R): void {
    r.inflight--;
    this.ongoingCount--;
    this.dispatch();
  }

  /** Serves queued requests while some replica has room. Call when replicas become ready. */
  dispatch(): void {
    const o = this.opts;
    while (this.head < this.queue.length) {
      const w = this.queue[this.head];
      if (w.done) {
        this.head++;
        continue;
      }
      const r = pickLeastOutstanding(this.replicas, o.maxOngoingPerReplica, this.rotation++, w.exclude);
      if (!r) break;
      this.head++;
      w.done = true;
      this.waiting--;
      w.timer.cancel();
      this.take(r);
      w.grant(null, r, o.clock.now() - w.enqueuedAt);
    }
    this.compact();
  }

  /** Fails every queued request and every later one with `err` (the deployment is being deleted). */
  close(err: InferscaleError): void {
    this.closedWith = err;
    this.rejectAll(err);
  }

  /** Fails every queued request (deployment deleted or stopped by hand). */
  rejectAll(err: InferscaleError): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const w = this.queue[i];
      if (w.done) continue;
      w.done = true;
      w.timer.cancel();
      w.grant(err);
    }
    this.waiting = 0;
    this.queue.length = 0;
    this.head = 0;
  }

  private take(r: R): void {
    r.inflight++;
    this.ongoingCount++;
  }

  private expire(w: Waiter<R>): void {
    if (w.done) return;
    w.done = true;
    this.waiting--;
    const waited = this.opts.clock.now() - w.enqueuedAt;
    w.grant(
      new InferscaleError('queue_timeout', `no replica could take the request within ${Math.round(waited)} ms`, {
        retryAfterSeconds: this.opts.retryAfterSeconds(),
      }),
    );
    this.compact();
  }

  private compact(): void {
    while (this.head < this.queue.length && this.queue[this.head].done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }
}
