/**
 * The capacity tables (module "capacity" of src/store/schema.ts): each deployment's capacity type and on-demand
 * floor, the capacity type each replica runs on (so the cost ledger charges it at its own price), and the spot
 * price per GPU type beside the on-demand price of `cost_prices`. A deployment without a row is on-demand.
 */
import type { Db, ModuleMigrations } from '../store/db.js';
import { type CapacitySpec, type CapacityType, DEFAULT_CAPACITY, type NodeCapacity } from '../domain/capacity.js';

export const CAPACITY_MIGRATIONS: ModuleMigrations = {
  module: 'capacity',
  scripts: [
    `CREATE TABLE deployment_capacity (
     deployment_id TEXT PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
     capacity TEXT NOT NULL,
     on_demand_floor INTEGER NOT NULL
   );
   CREATE TABLE replica_capacity (replica_id TEXT PRIMARY KEY, deployment_id TEXT NOT NULL, capacity TEXT NOT NULL);
   CREATE TABLE spot_prices (gpu_type TEXT PRIMARY KEY, usd_per_gpu_hour REAL NOT NULL);`,
  ],
};

export class CapacityStore {
  constructor(private readonly db: Db) {}

  get(deploymentId: string): CapacitySpec {
    const r = this.db.prepare('SELECT capacity, on_demand_floor FROM deployment_capacity WHERE deployment_id = ?').get(deploymentId) as
      | { capacity: CapacityType; on_demand_floor: number }
      | undefined;
    return r ? { capacity: r.capacity, onDemandFloor: r.on_demand_floor } : DEFAULT_CAPACITY;
  }

  set(deploymentId: string, spec: CapacitySpec): void {
    this.db
      .prepare(
        `INSERT INTO deployment_capacity (deployment_id, capacity, on_demand_floor) VALUES (?, ?, ?)
         ON CONFLICT(deployment_id) DO UPDATE SET capacity = excluded.capacity, on_demand_floor = excluded.on_demand_floor`,
      )
      .run(deploymentId, spec.capacity, spec.onDemandFloor);
  }

  /** Records the kind of node a replica runs on (set by the provider once it knows). */
  setReplica(replicaId: string, deploymentId: string, capacity: NodeCapacity): void {
    this.db
      .prepare(
        'INSERT INTO replica_capacity (replica_id, deployment_id, capacity) VALUES (?, ?, ?) ON CONFLICT(replica_id) DO UPDATE SET capacity = excluded.capacity',
      )
      .run(replicaId, deploymentId, capacity);
  }

  /** The kind of node of each replica recorded (absent: on-demand). */
  replicas(): Map<string, NodeCapacity> {
    const rows = this.db.prepare('SELECT replica_id, capacity FROM replica_capacity').all() as { replica_id: string; capacity: NodeCapacity }[];
    return new Map(rows.map((r) => [r.replica_id, r.capacity]));
  }

  /** The kind of node of each replica of one deployment recorded (absent: not known yet). */
  replicasOf(deploymentId: string): Map<string, NodeCapacity> {
    const rows = this.db.prepare('SELECT replica_id, capacity FROM replica_capacity WHERE deployment_id = ?').all(deploymentId) as {
      replica_id: string;
      capacity: NodeCapacity;
    }[];
    return new Map(rows.map((r) => [r.replica_id, r.capacity]));
  }

  spotPrices(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT gpu_type, usd_per_gpu_hour FROM spot_prices').all() as { gpu_type: string; usd_per_gpu_hour: number }[])
      out[r.gpu_type] = r.usd_per_gpu_hour;
    return out;
  }

  /** Sets (or with null removes) the spot price of a GPU type. */
  setSpotPrice(gpuType: string, usdPerGpuHour: number | null): void {
    if (usdPerGpuHour === null) this.db.prepare('DELETE FROM spot_prices WHERE gpu_type = ?').run(gpuType);
    else
      this.db
        .prepare(
          'INSERT INTO spot_prices (gpu_type, usd_per_gpu_hour) VALUES (?, ?) ON CONFLICT(gpu_type) DO UPDATE SET usd_per_gpu_hour = excluded.usd_per_gpu_hour',
        )
        .run(gpuType, usdPerGpuHour);
  }
}

/**
 * What the reconciler keeps of a mixed deployment's on-demand floor: the floor and whether a replica runs on
 * an on-demand node (as its provider recorded it); undefined where there is no floor to keep.
 */
export function onDemandFloor(
  capacities: CapacityStore,
  deploymentId: string,
): { onDemandFloor: number; onDemand: (replicaId: string) => boolean } | undefined {
  const spec = capacities.get(deploymentId);
  if (spec.capacity !== 'mixed' || spec.onDemandFloor <= 0) return undefined;
  const kinds = capacities.replicasOf(deploymentId);
  return { onDemandFloor: spec.onDemandFloor, onDemand: (id) => kinds.get(id) === 'on-demand' };
}
