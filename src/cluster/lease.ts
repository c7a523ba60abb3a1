/**
 * Leader election through a coordination.k8s.io Lease, written by hand (the client library has none),
 * after client-go's leaderelection: a candidate takes the lease when it is free or when its holder has not
 * renewed it for leaseDuration as seen on this candidate's clock (never trusting another machine's clock);
 * every write carries the resourceVersion it read, so of two candidates exactly one wins. A leader that
 * cannot renew within renewDeadline steps down before anyone may take over. `step` is one decision.
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Clock, Timer } from '../core/clock.js';
import { apiMessage, isConflict, isNotFound, toMs, type KubeClient } from '../providers/kubernetes/client.js';

export interface LeaderElectorOptions {
  client: KubeClient;
  /** the Lease's name, e.g. inferscale-controller */
  name: string;
  /** this candidate, e.g. the pod name */
  identity: string;
  clock: Clock;
  log: (line: string) => void;
  leaseDurationMs?: number;
  /** a leader that could not renew for this long stops leading (< leaseDuration) */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** written on the Lease while this candidate holds it, e.g. the leader's URL for followers */
  annotations?: Record<string, string>;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

export class LeaderElector {
  private leading = false;
  private observed?: { holder: string; rv: string; at: number; annotations: Record<string, string> };
  private lastRenewed = 0;
  private timer?: Timer;
  private stopped = false;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;

  constructor(private readonly o: LeaderElectorOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new Error('renewDeadline must be shorter than the lease duration');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder as last seen ('' when free). */
  get holder(): string {
    return this.observed?.holder ?? '';
  }

  /** An annotation of the Lease as last seen (the holder's, e.g. its URL). */
  annotation(key: string): string | undefined {
    return this.observed?.annotations[key];
  }

  /** Tries every retry period until stopped; resolves after the first attempt. */
  start(): Promise<void> {
    this.stopped = false;
    const loop = async () => {
      await this.step();
      if (!this.stopped) this.timer = this.o.clock.setTimeout(() => void loop(), this.retryPeriodMs);
    };
    return loop();
  }

  /** Stops trying; a leader gives the lease up so another candidate takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (this.leading && release) await this.release();
    this.setLeading(false);
  }

  /** One attempt to acquire or renew; returns whether this candidate leads afterwards. */
  async step(): Promise<boolean> {
    const now = this.o.clock.now();
    try {
      const ok = await this.tryAcquireOrRenew(now);
      if (ok) this.lastRenewed = now;
      this.setLeading(ok);
    } catch (e) {
      this.o.log(`leader election: ${apiMessage(e)}`);
      // keep leading through short API trouble, never past the renew deadline
      this.setLeading(this.leading && now - this.lastRenewed < this.renewDeadlineMs);
    }
    return this.leading;
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const api = this.o.client.coordination;
    const ns = this.o.client.namespace;
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name: this.o.name, namespace: ns });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        const made = await api.createNamespacedLease({
          namespace: ns,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, annotations: this.o.annotations },
            spec: this.spec(now, now, 0),
          },
        });
        this.observed = { holder: this.o.identity, rv: made.metadata?.resourceVersion ?? '', at: now, annotations: { ...this.o.annotations } };
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const rv = lease.metadata?.resourceVersion ?? '';
    if (!this.observed || this.observed.rv !== rv) this.observed = { holder, rv, at: now, annotations: { ...lease.metadata?.annotations } };
    const durationMs = (lease.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const mine = holder === this.o.identity;
    if (holder && !mine && this.observed.at + durationMs > now) return false;
    const acquired = mine ? (toMs(lease.spec?.acquireTime as unknown as string) ?? now) : now;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1);
    try {
      const metadata = { ...lease.metadata, annotations: { ...lease.metadata?.annotations, ...this.o.annotations } };
      const next = await api.replaceNamespacedLease({
        name: this.o.name,
        namespace: ns,
        body: { ...lease, metadata, spec: this.spec(acquired, now, transitions) },
      });
      this.observed = { holder: this.o.identity, rv: next.metadata?.resourceVersion ?? '', at: now, annotations: { ...next.metadata?.annotations } };
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  /** MicroTime: the API server wants six fractional digits, which V1MicroTime writes (a Date writes three). */
  private spec(acquiredAt: number, renewedAt: number, transitions: number) {
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: new V1MicroTime(acquiredAt),
      renewTime: new V1MicroTime(renewedAt),
      leaseTransitions: transitions,
    };
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.o.client.coordination.readNamespacedLease({ name: this.o.name, namespace: this.o.client.namespace });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.o.client.coordination.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.client.namespace,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime(this.o.clock.now()) } },
      });
    } catch (e) {
      this.o.log(`leader election: could not release the lease (${apiMessage(e)}); it expires on its own`);
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.o.log(`leader election: ${this.o.identity} ${v ? 'leads' : 'stopped leading'} (lease ${this.o.name})`);
    if (v) this.o.onStartedLeading?.();
    else this.o.onStoppedLeading?.();
  }
}
