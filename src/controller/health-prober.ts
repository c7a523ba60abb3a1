/**
 * Health checks of ready replicas: each is probed every HEALTH_EVERY_MS (at once when the gateway took it
 * out of rotation), and the prober counts its failed checks in a row. What a failed check means is the
 * replica state machine's (replica-machine.ts); this only probes and counts.
 */
import type { EngineDriver } from '../engines/types.js';
import type { ProbeResult, ReplicaHandle, ReplicaProvider } from '../providers/types.js';

export const HEALTH_EVERY_MS = 2000;

export class HealthProber {
  private readonly lastCheck = new Map<string, number>();
  private readonly failures = new Map<string, number>();

  /** Whether a ready replica is due a check at `now` (`ejected`: the gateway took it out of rotation). */
  due(replicaId: string, now: number, ejected: boolean): boolean {
    return ejected || now - (this.lastCheck.get(replicaId) ?? 0) >= HEALTH_EVERY_MS;
  }

  /** Probes a replica; returns the result and its failed checks in a row, this one included. */
  async check(provider: ReplicaProvider, h: ReplicaHandle, driver: EngineDriver, now: number): Promise<{ probe: ProbeResult; failures: number }> {
    this.lastCheck.set(h.replicaId, now);
    const probe = await provider.probe(h, driver);
    if (probe === 'ready') {
      this.failures.delete(h.replicaId);
      return { probe, failures: 0 };
    }
    const failures = (this.failures.get(h.replicaId) ?? 0) + 1;
    this.failures.set(h.replicaId, failures);
    return { probe, failures };
  }

  forget(replicaId: string): void {
    this.lastCheck.delete(replicaId);
    this.failures.delete(replicaId);
  }
}
