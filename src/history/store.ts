/**
 * Per-deployment metrics history, downsampled: the last 15 min of 1 s samples in memory (live charts),
 * 10 s buckets for a day and 5 min buckets for 30 days in SQLite (module "history" migrations). Older rows
 * are pruned by `prune(now)`. 10 s buckets are written when the next one starts (and on `flush()`), each
 * also folded into its 5 min bucket, so a restart loses at most the open 10 s.
 *
 * Writers: the server's HistorySampler records one HistorySample per deployment per second. Readers: the
 * dashboard and API (`series`), cost (`totals`), and the autoscaler's forecast (`demandHistory`).
 */
import type { Db } from '../store/db.js';
import type { ModuleMigrations } from '../store/db.js';
import type { DemandPoint } from '../autoscaler/types.js';
import { addBucket, addSample, emptyBucket, toPoint, type Bucket, type HistoryPoint, type HistorySample } from './bucket.js';

export const RAW_KEEP_MS = 15 * 60_000;
export const FINE_MS = 10_000;
export const FINE_KEEP_MS = 86_400_000;
export const COARSE_MS = 5 * 60_000;
export const COARSE_KEEP_MS = 30 * 86_400_000;

const table = (name: string) => `
  CREATE TABLE ${name} (
    deployment_id TEXT NOT NULL, at INTEGER NOT NULL, n INTEGER NOT NULL, seconds REAL NOT NULL,
    arrivals INTEGER NOT NULL, ongoing REAL NOT NULL, queued REAL NOT NULL, tokens INTEGER NOT NULL,
    desired REAL NOT NULL, ready REAL NOT NULL, starting REAL NOT NULL, gpus REAL NOT NULL, ttft TEXT NOT NULL,
    PRIMARY KEY (deployment_id, at)
  ) WITHOUT ROWID;
  CREATE INDEX ${name}_at ON ${name}(at);`;

// rev: a per-table change number (the newest write has the highest), by which an HA follower copies the rows
// (rows written before it are numbered oldest first)
const addRev = (name: string) => `
  ALTER TABLE ${name} ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
  UPDATE ${name} SET rev = t.n FROM (SELECT deployment_id AS d, at AS a, ROW_NUMBER() OVER (ORDER BY at, deployment_id) AS n FROM ${name}) AS t
    WHERE ${name}.deployment_id = t.d AND ${name}.at = t.a;
  CREATE INDEX ${name}_rev ON ${name}(rev);`;
/** The metrics history's tables (module "history" of src/store/schema.ts). */
export const HISTORY_MIGRATIONS: ModuleMigrations = {
  module: 'history',
  scripts: [table('history_10s') + table('history_5m'), addRev('history_10s') + addRev('history_5m')],
};

type Tier = 'history_10s' | 'history_5m';

const fromRow = (r: any): Bucket => ({
  at: r.at,
  n: r.n,
  seconds: r.seconds,
  arrivals: r.arrivals,
  ongoing: r.ongoing,
  queued: r.queued,
  tokens: r.tokens,
  desired: r.desired,
  ready: r.ready,
  starting: r.starting,
  gpus: r.gpus,
  ttft: JSON.parse(r.ttft),
});

const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

export interface Series {
  /** bucket length of the points, ms: 1000, 10000 or 300000 */
  resolutionMs: number;
  points: HistoryPoint[];
}

export class HistoryStore {
  private readonly raw = new Map<string, HistoryPoint[]>();
  private readonly open = new Map<string, Bucket>();
  private readonly lastAt = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /** Folds one sample (normally 1 s) of a deployment into the history. */
  record(deploymentId: string, sample: HistorySample): void {
    const one = emptyBucket(sample.at);
    addSample(one, sample);
    let raw = this.raw.get(deploymentId);
    if (!raw) this.raw.set(deploymentId, (raw = []));
    raw.push(toPoint(one));
    let drop = 0;
    while (drop < raw.length && raw[drop].at < sample.at - RAW_KEEP_MS) drop++;
    if (drop) raw.splice(0, drop);
    this.lastAt.set(deploymentId, Math.max(sample.at, this.lastAt.get(deploymentId) ?? 0));

    const at = floorTo(sample.at, FINE_MS);
    const cur = this.open.get(deploymentId);
    if (cur && at < cur.at) {
      // a late sample for a bucket already written: merge it straight into the stored rows
      one.at = at;
      this.write(deploymentId, one);
      return;
    }
    if (cur && at > cur.at) this.write(deploymentId, cur);
    const b = cur && cur.at === at ? cur : emptyBucket(at);
    addSample(b, sample);
    this.open.set(deploymentId, b);
  }

  /** Writes every open 10 s bucket (on shutdown). */
  flush(): void {
    for (const [id, b] of this.open) this.write(id, b);
    this.open.clear();
  }

  /** Drops rows past their retention (10 s: a day, 5 min: 30 days) and stale in-memory state. */
  prune(now: number): void {
    this.db.prepare('DELETE FROM history_10s WHERE at < ?').run(now - FINE_KEEP_MS);
    this.db.prepare('DELETE FROM history_5m WHERE at < ?').run(now - COARSE_KEEP_MS);
    for (const [id, at] of this.lastAt) {
      if (at >= now - RAW_KEEP_MS) continue;
      const b = this.open.get(id);
      if (b) this.write(id, b);
      this.open.delete(id);
      this.raw.delete(id);
      this.lastAt.delete(id);
    }
  }

  /**
   * Points from `sinceMs` to now at the finest resolution that covers the range: 1 s for up to 15 min,
   * 10 s for up to a day, else 5 min. The newest bucket may be partial. The 1 s points live in memory:
   * after a restart (or an HA takeover, with the copied history) they start late, and while the 10 s
   * tier has older points in the range, those are returned instead.
   */
  series(deploymentId: string, sinceMs: number, now: number): Series {
    if (sinceMs >= now - RAW_KEEP_MS) {
      const raw = this.raw.get(deploymentId) ?? [];
      const rawFrom = raw[0]?.at ?? now;
      if (
        rawFrom - sinceMs <= FINE_MS ||
        !this.db
          .prepare('SELECT 1 FROM history_10s WHERE deployment_id = ? AND at >= ? AND at < ? LIMIT 1')
          .get(deploymentId, floorTo(sinceMs, FINE_MS), floorTo(rawFrom, FINE_MS))
      ) {
        return { resolutionMs: 1000, points: raw.filter((p) => p.at >= sinceMs) };
      }
      const buckets = this.rows('history_10s', deploymentId, floorTo(sinceMs, FINE_MS));
      this.addOpen(deploymentId, buckets, FINE_MS);
      return { resolutionMs: FINE_MS, points: buckets.map(toPoint) };
    }
    const [tier, step]: [Tier, number] = sinceMs >= now - FINE_KEEP_MS ? ['history_10s', FINE_MS] : ['history_5m', COARSE_MS];
    const buckets = this.rows(tier, deploymentId, floorTo(sinceMs, step));
    this.addOpen(deploymentId, buckets, step);
    return { resolutionMs: step, points: buckets.map(toPoint) };
  }

  /**
   * Closed 5 min demand buckets from `sinceMs`, oldest first, for forecasting. The bucket holding the
   * latest sample is still filling and is left out.
   */
  demandHistory(deploymentId: string, sinceMs: number): DemandPoint[] {
    const last = this.lastAt.get(deploymentId);
    const openStart = last === undefined ? Infinity : floorTo(last, COARSE_MS);
    return this.rows('history_5m', deploymentId, floorTo(sinceMs, COARSE_MS))
      .filter((b) => b.at < openStart && b.n > 0)
      .map((b) => ({ at: b.at, concurrency: (b.ongoing + b.queued) / b.n, rate: b.arrivals / (b.seconds || 1) }));
  }

  /** Requests and completion tokens counted since `sinceMs` (bucket-granular: 10 s within a day, else 5 min). */
  totals(deploymentId: string, sinceMs: number, now: number): { requests: number; tokens: number } {
    const [tier, step]: [Tier, number] = sinceMs >= now - FINE_KEEP_MS ? ['history_10s', FINE_MS] : ['history_5m', COARSE_MS];
    const buckets = this.rows(tier, deploymentId, floorTo(sinceMs, step));
    this.addOpen(deploymentId, buckets, step);
    let requests = 0;
    let tokens = 0;
    for (const b of buckets) {
      requests += b.arrivals;
      tokens += b.tokens;
    }
    return { requests, tokens };
  }

  /** The newest 1 s point of a deployment, if sampled in the last 15 min. */
  latest(deploymentId: string): HistoryPoint | undefined {
    const raw = this.raw.get(deploymentId);
    return raw?.[raw.length - 1];
  }

  private rows(tier: Tier, deploymentId: string, from: number): Bucket[] {
    return this.db.prepare(`SELECT * FROM ${tier} WHERE deployment_id = ? AND at >= ? ORDER BY at`).all(deploymentId, from).map(fromRow);
  }

  /** Adds the open (unwritten) 10 s bucket to a list of `step` buckets, oldest first. */
  private addOpen(deploymentId: string, buckets: Bucket[], step: number): void {
    const cur = this.open.get(deploymentId);
    if (!cur) return;
    const at = floorTo(cur.at, step);
    const last = buckets[buckets.length - 1];
    if (last && last.at === at) addBucket(last, cur);
    else {
      const b = emptyBucket(at);
      addBucket(b, cur);
      buckets.push(b);
    }
  }

  private write(deploymentId: string, b: Bucket): void {
    const upsert = (tier: Tier, at: number) => {
      const prev = this.db.prepare(`SELECT * FROM ${tier} WHERE deployment_id = ? AND at = ?`).get(deploymentId, at);
      const merged = prev ? fromRow(prev) : emptyBucket(at);
      addBucket(merged, b);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO ${tier} (deployment_id, at, n, seconds, arrivals, ongoing, queued, tokens, desired, ready, starting, gpus, ttft, rev)
           VALUES (@id, @at, @n, @seconds, @arrivals, @ongoing, @queued, @tokens, @desired, @ready, @starting, @gpus, @ttft, (SELECT COALESCE(MAX(rev), 0) + 1 FROM ${tier}))`,
        )
        .run({ ...merged, id: deploymentId, at, ttft: JSON.stringify(merged.ttft) });
    };
    this.db.transaction(() => {
      upsert('history_10s', b.at);
      upsert('history_5m', floorTo(b.at, COARSE_MS));
    })();
  }
}
