/**
 * How a zone's provider learns each deployment's capacity type and records the kind of node each replica asks
 * for (issue #17). Zones are built before the store is open, so the link is made first and pointed at the
 * store once it is (`connect`); until then a deployment has no known capacity (its pods go on any GPU node).
 */
import type { CapacitySpec, NodeCapacity } from '../domain/capacity.js';
import type { Store } from '../store/store.js';
import { CapacityStore } from './capacity-store.js';

export class CapacityLink {
  private store?: Store;
  private capacity?: CapacityStore;

  connect(store: Store): void {
    this.store = store;
    this.capacity = new CapacityStore(store.db);
  }

  /** The capacity of a deployment by name (undefined: not connected, or no such deployment). */
  of(deployment: string): CapacitySpec | undefined {
    const d = this.store?.getDeploymentByName(deployment);
    return d ? this.capacity!.get(d.id) : undefined;
  }

  record(replicaId: string, deployment: string, capacity: NodeCapacity): void {
    const d = this.store?.getDeploymentByName(deployment);
    if (d) this.capacity!.setReplica(replicaId, d.id, capacity);
  }
}
