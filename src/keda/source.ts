/**
 * The live server's KedaSource: a deployment's desired and ready replicas from the store, what the
 * gateway (and, in HA mode, the follower gateways) holds now, and a change signal once a second from
 * the metrics sampler plus at once when a request arrives at zero.
 */
import type { Store } from '../store/store.js';
import type { RouteTable } from '../gateway/route-table.js';
import type { KedaDeploymentSignals, KedaSource } from './grpc-server.js';

export interface LiveKedaSourceOptions {
  store: Pick<Store, 'getDeploymentByName' | 'getDeployment' | 'listReplicas'>;
  routes: Pick<RouteTable, 'get'>;
  /** other gateways' load (HA followers) */
  remote: (deploymentId: string) => { ongoing: number; queued: number };
}

export class LiveKedaSource implements KedaSource {
  private readonly listeners = new Set<(deployment: string) => void>();

  constructor(private readonly o: LiveKedaSourceOptions) {}

  signals(name: string): KedaDeploymentSignals | undefined {
    const d = this.o.store.getDeploymentByName(name);
    if (!d || d.deleting) return undefined;
    const route = this.o.routes.get(name);
    const remote = this.o.remote(d.id);
    return {
      desiredReplicas: d.replicas,
      readyReplicas: this.o.store.listReplicas(d.id, ['ready']).length,
      ongoing: (route?.admission.ongoing ?? 0) + remote.ongoing,
      queued: (route?.admission.queued ?? 0) + remote.queued,
    };
  }

  onChange(fn: (deployment: string) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Tells the subscribers that a deployment's signals may have changed. */
  changed(deploymentId: string): void {
    if (!this.listeners.size) return;
    const d = this.o.store.getDeployment(deploymentId);
    if (d) for (const fn of [...this.listeners]) fn(d.name);
  }
}
