/**
 * The memory a fractional deployment's replicas need, in its own column of `deployments` (module
 * "placement" migrations, src/store/schema.ts): written once at creation, read back with the row.
 */
import type { Db, ModuleMigrations } from '../store/db.js';

export const PLACEMENT_MIGRATIONS: ModuleMigrations = {
  module: 'placement',
  scripts: ['ALTER TABLE deployments ADD COLUMN gpu_memory_mb INTEGER'],
};

/** Records that each replica of deployment `id` needs `memoryMb` MiB on one GPU. */
export function setGpuMemory(db: Db, id: string, memoryMb: number): void {
  db.prepare('UPDATE deployments SET gpu_memory_mb = ? WHERE id = ?').run(memoryMb, id);
}
