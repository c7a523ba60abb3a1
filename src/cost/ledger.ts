/**
 * The cost ledger (module "cost" migrations): one row per replica that ever held GPUs, with the
 * deployment's name, labels, GPU type and count copied in, so costs survive the pruning of old replica
 * rows and the deletion of a deployment. `sync(now)` mirrors the store's replica rows; a replica whose
 * row vanished while still open (its deployment was deleted between two syncs) is closed at the last
 * time it was seen, which is at most one sampling interval early. Also holds GPU prices.
 */
import type { Db } from '../store/db.js';
import type { ModuleMigrations } from '../store/db.js';
import type { DeploymentRow, Store } from '../store/store.js';
import type { NodeCapacity } from '../domain/capacity.js';

/** The cost ledger's tables (module "cost" of src/store/schema.ts). */
export const COST_MIGRATIONS: ModuleMigrations = {
  module: 'cost',
  scripts: [
    `CREATE TABLE cost_usage (
     replica_id TEXT PRIMARY KEY,
     deployment_id TEXT NOT NULL,
     deployment_name TEXT NOT NULL,
     labels TEXT NOT NULL,
     gpu_type TEXT NOT NULL,
     gpu_count INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     stopped_at INTEGER,
     seen_at INTEGER NOT NULL
   );
   CREATE INDEX cost_usage_open ON cost_usage(stopped_at);
   CREATE TABLE cost_prices (gpu_type TEXT PRIMARY KEY, usd_per_gpu_hour REAL NOT NULL);`,
    // rev: the row's change number (the newest write has the highest), by which an HA follower copies the ledger
    `ALTER TABLE cost_usage ADD COLUMN rev INTEGER NOT NULL DEFAULT 0; UPDATE cost_usage SET rev = rowid; CREATE INDEX cost_usage_rev ON cost_usage(rev);`,
  ],
};

const NEXT_REV = '(SELECT COALESCE(MAX(rev), 0) + 1 FROM cost_usage)';

export interface UsageRow {
  replicaId: string;
  deploymentId: string;
  deploymentName: string;
  labels: Record<string, string>;
  gpuType: string;
  /** GPUs charged per replica: a fraction for a fractional deployment */
  gpuCount: number;
  startedAt: number;
  stoppedAt: number | null;
  /** the kind of node it ran on (module "capacity"'s replica_capacity; absent: on-demand) */
  capacity?: NodeCapacity;
}

const toUsage = (r: any): UsageRow => ({
  replicaId: r.replica_id,
  deploymentId: r.deployment_id,
  deploymentName: r.deployment_name,
  labels: JSON.parse(r.labels),
  gpuType: r.gpu_type,
  gpuCount: r.gpu_count,
  startedAt: r.started_at,
  stoppedAt: r.stopped_at,
  ...(r.capacity ? { capacity: r.capacity } : {}),
});

/** Ledger rows stopped longer ago than this are dropped by `sync`. */
export const LEDGER_KEEP_MS = 400 * 86_400_000;

export class CostLedger {
  /** stopped replicas already mirrored by this process (skipped on later syncs) */
  private readonly done = new Set<string>();

  /**
   * `gpusOf`: the GPUs one replica of a deployment is charged: its gpuCount, or for a fractional deployment
   * its memory's share of one GPU (a fraction, kept as a REAL in gpu_count).
   */
  constructor(
    private readonly db: Db,
    private readonly store: Pick<Store, 'listDeployments' | 'listReplicas'>,
    private readonly gpusOf: (d: DeploymentRow) => number = (d) => d.gpuCount,
  ) {}

  /** Mirrors replica start/stop times from the store into the ledger. */
  sync(now: number): void {
    const open = new Map<string, { seenAt: number }>();
    for (const r of this.db.prepare('SELECT replica_id, seen_at FROM cost_usage WHERE stopped_at IS NULL').all() as any[])
      open.set(r.replica_id, { seenAt: r.seen_at });
    const known = new Set<string>();
    const insert = this.db.prepare(
      `INSERT INTO cost_usage (replica_id, deployment_id, deployment_name, labels, gpu_type, gpu_count, started_at, stopped_at, seen_at, rev)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${NEXT_REV}) ON CONFLICT(replica_id) DO NOTHING`,
    );
    const close = this.db.prepare(`UPDATE cost_usage SET stopped_at = ?, rev = ${NEXT_REV} WHERE replica_id = ? AND stopped_at IS NULL`);
    const seen = this.db.prepare(`UPDATE cost_usage SET seen_at = ?, rev = ${NEXT_REV} WHERE replica_id = ?`);
    this.db.transaction(() => {
      for (const d of this.store.listDeployments()) {
        for (const r of this.store.listReplicas(d.id)) {
          if (r.startedAt === null) continue;
          known.add(r.id);
          if (this.done.has(r.id)) continue;
          if (r.stoppedAt !== null) this.done.add(r.id);
          const o = open.get(r.id);
          if (o) {
            if (r.stoppedAt !== null) close.run(r.stoppedAt, r.id);
          } else if (r.stoppedAt === null || r.stoppedAt >= now - LEDGER_KEEP_MS) {
            insert.run(r.id, d.id, d.name, JSON.stringify(d.labels), d.gpuType, this.gpusOf(d), r.startedAt, r.stoppedAt, now);
          }
        }
      }
      for (const [id, o] of open) if (!known.has(id)) close.run(o.seenAt, id);
      // one row at a time: every row gets its own change number
      for (const r of this.db.prepare('SELECT replica_id FROM cost_usage WHERE stopped_at IS NULL').all() as { replica_id: string }[])
        seen.run(now, r.replica_id);
      this.db.prepare('DELETE FROM cost_usage WHERE stopped_at < ?').run(now - LEDGER_KEEP_MS);
    })();
  }

  /** Rows that overlap [sinceMs, now]. */
  usage(sinceMs: number): UsageRow[] {
    return this.db
      .prepare(
        'SELECT u.*, c.capacity FROM cost_usage u LEFT JOIN replica_capacity c ON c.replica_id = u.replica_id WHERE u.stopped_at IS NULL OR u.stopped_at > ? ORDER BY u.started_at',
      )
      .all(sinceMs)
      .map(toUsage);
  }

  prices(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT gpu_type, usd_per_gpu_hour FROM cost_prices').all() as any[]) out[r.gpu_type] = r.usd_per_gpu_hour;
    return out;
  }

  /** Sets (or with null removes) the price of a GPU type. */
  setPrice(gpuType: string, usdPerGpuHour: number | null): void {
    if (usdPerGpuHour === null) this.db.prepare('DELETE FROM cost_prices WHERE gpu_type = ?').run(gpuType);
    else {
      this.db
        .prepare(
          'INSERT INTO cost_prices (gpu_type, usd_per_gpu_hour) VALUES (?, ?) ON CONFLICT(gpu_type) DO UPDATE SET usd_per_gpu_hour = excluded.usd_per_gpu_hour',
        )
        .run(gpuType, usdPerGpuHour);
    }
  }
}
