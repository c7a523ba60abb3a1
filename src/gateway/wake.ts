/**
 * Where a request held at zero is announced (a deployment with nothing ready that may wake): built before
 * the route table, which calls `wake`; the autoscaler and KEDA's scaler subscribe to it. An HA follower
 * diverts it while it follows: its wakes go to the leader, which decides, not to its own autoscaler.
 */
export type WakeListener = (deploymentId: string) => void;

export class WakeFanOut {
  private readonly listeners = new Set<WakeListener>();
  private diverted?: WakeListener;

  /** Hears every wake from now on (not while diverted); returns the unsubscribe. */
  subscribe(fn: WakeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Sends every wake to `fn` alone until the returned function is called. */
  divert(fn: WakeListener): () => void {
    this.diverted = fn;
    return () => {
      if (this.diverted === fn) this.diverted = undefined;
    };
  }

  readonly wake = (deploymentId: string): void => {
    if (this.diverted) return this.diverted(deploymentId);
    for (const fn of this.listeners) fn(deploymentId);
  };
}
