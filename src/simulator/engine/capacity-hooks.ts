/**
 * What the replica set asks of a capacity layer (the cloud model, src/simulator/cloud/cloud-sim.ts): where a
 * new replica runs, what a stopped one costs, and word of changes. Kept here so the engine does not import the
 * cloud model.
 */
import type { SimReplica } from './replica.js';

export interface CapacityHooks {
  /** Places a new replica: its node launch time in ms (0 for a warm one), Infinity while it waits for spot. */
  place(r: SimReplica, now: number, warm: boolean): number;
  /** A replica stopped: the ms of node time it is billed for (0 if it never got a node). */
  stopped(r: SimReplica, now: number): number;
  /** An extra replica (CloudPlacement.extra) finished loading. */
  extraReady(r: SimReplica, now: number): void;
  /** The replica counts changed (a decision applied, a replica ready). */
  changed(now: number): void;
  /** the on-demand replicas a scale-down takes last (a mixed deployment's floor, as live); 0: none */
  onDemandFloor(): number;
  /** extra replicas still starting (billed at the end) */
  startingExtras(): Iterable<SimReplica>;
}
