import type { Clock, Timer } from '../core/clock.js';
import type { Db, ModuleMigrations } from '../store/db.js';
import type { StorageStatus } from '../store/storage-status.js';

/** The request log's tables (module "request_log" of src/store/schema.ts). */
export const REQUEST_LOG_MIGRATIONS: ModuleMigrations = {
  module: 'request_log',
  scripts: [
    `CREATE TABLE request_log (
     deployment_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     prompt_tokens INTEGER NOT NULL,
     completion_tokens INTEGER NOT NULL,
     ttft_ms REAL,
     status INTEGER NOT NULL
   );
   CREATE INDEX request_log_by_deployment ON request_log(deployment_id, at);`,
    // an id that is never reused (AUTOINCREMENT), by which an HA follower copies the log
    `CREATE TABLE request_log_v2 (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     deployment_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     prompt_tokens INTEGER NOT NULL,
     completion_tokens INTEGER NOT NULL,
     ttft_ms REAL,
     status INTEGER NOT NULL
   );
   INSERT INTO request_log_v2 (deployment_id, at, prompt_tokens, completion_tokens, ttft_ms, status)
     SELECT deployment_id, at, prompt_tokens, completion_tokens, ttft_ms, status FROM request_log ORDER BY rowid;
   DROP TABLE request_log;
   ALTER TABLE request_log_v2 RENAME TO request_log;
   CREATE INDEX request_log_by_deployment ON request_log(deployment_id, at);`,
  ],
};

/**
 * The request id column (module "request_log_request_id", after "request_log" in src/store/schema.ts): the
 * `x-request-id` each gateway answer carries, so a client's complaint finds its row. Its own module so it
 * does not conflict with other additions to the request log's list.
 */
export const REQUEST_LOG_ID_MIGRATIONS: ModuleMigrations = {
  module: 'request_log_request_id',
  scripts: ['ALTER TABLE request_log ADD COLUMN request_id TEXT;'],
};

/** One request as the simulator replays it: never any content. */
export interface RequestLogRow {
  at: number;
  promptTokens: number;
  completionTokens: number;
  ttftMs: number | null;
  status: number;
  /** the answer's x-request-id; null: recorded before the column existed */
  requestId: string | null;
}

export const REQUEST_LOG_MAX_AGE_MS = 8 * 86_400_000;
export const REQUEST_LOG_MAX_ROWS = 2_000_000;
/** rows kept in memory while the disk is full; older ones are dropped (and counted) beyond this */
export const REQUEST_LOG_MAX_PENDING = 100_000;

/**
 * A bounded per-deployment log of requests (arrival time, tokens, time to first token, status) kept for
 * replaying a deployment's real traffic through the simulator. The request path only pushes onto an
 * array; rows are written in one transaction a second, and pruned by age and by count.
 */
/**
 * One request: deployment id, arrival (ms), prompt and completion tokens, TTFT (ms, null: none), HTTP status, and its
 * x-request-id (absent in rows from a gateway of an earlier version).
 */
export type RequestRow = [
  deploymentId: string,
  at: number,
  promptTokens: number,
  completionTokens: number,
  ttftMs: number | null,
  status: number,
  requestId?: string | null,
];

/** Where rows come from and go besides this gateway's file (HA mode: src/server/mode.ts). */
export interface RequestLogRouting {
  /** an HA follower: the row goes to the leader with the next load report (true); else it is kept here (false) */
  divert?: (row: RequestRow) => boolean;
  /** an HA leader: the followers' rows, written at once (not with the next 1 s flush) so their copies get them with the next answer */
  remoteRows?: { subscribe(fn: (rows: readonly RequestRow[]) => void): void };
}

export class RequestLog {
  private pending: RequestRow[] = [];
  private timer?: Timer;
  private lastPrune = 0;
  /** rows dropped because the disk was full for longer than REQUEST_LOG_MAX_PENDING rows */
  dropped = 0;

  /** `storage`: a disk-full write keeps its rows for the next flush instead of throwing (storage-status.ts) */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly storage?: StorageStatus,
    private readonly routing: RequestLogRouting = {},
  ) {
    routing.remoteRows?.subscribe((rows) => {
      this.pushRows(rows);
      this.flush();
    });
  }

  push(deploymentId: string, at: number, promptTokens: number, completionTokens: number, ttftMs: number | undefined, status: number, requestId?: string): void {
    const row: RequestRow = [deploymentId, at, promptTokens, completionTokens, ttftMs ?? null, status, requestId ?? null];
    if (!this.routing.divert?.(row)) this.pending.push(row);
  }

  /** Rows another gateway recorded (HA: a follower's, received by the leader). */
  pushRows(rows: readonly RequestRow[]): void {
    for (const r of rows) this.pending.push(r);
  }

  start(): void {
    const tick = () => {
      this.flush();
      this.timer = this.clock.setTimeout(tick, 1000);
    };
    this.timer = this.clock.setTimeout(tick, 1000);
  }

  stop(): void {
    this.timer?.cancel();
    this.flush();
  }

  flush(): void {
    const write = (fn: () => void) => (this.storage ? this.storage.guard('request log', fn) : (fn(), true));
    if (this.pending.length) {
      const rows = this.pending;
      this.pending = [];
      const ins = this.db.prepare(
        'INSERT INTO request_log (deployment_id, at, prompt_tokens, completion_tokens, ttft_ms, status, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const ok = write(() =>
        this.db.transaction(() => {
          for (const r of rows) ins.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6] ?? null);
        })(),
      );
      if (!ok) {
        // kept for the next flush, the newest first when there are too many
        const kept = rows.concat(this.pending);
        const over = kept.length - REQUEST_LOG_MAX_PENDING;
        if (over > 0) this.dropped += over;
        this.pending = over > 0 ? kept.slice(over) : kept;
        return;
      }
    }
    const now = this.clock.now();
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now;
      write(() => this.prune(now));
    }
  }

  prune(now: number): void {
    this.db.prepare('DELETE FROM request_log WHERE at < ?').run(now - REQUEST_LOG_MAX_AGE_MS);
    const over = this.db
      .prepare('SELECT deployment_id AS id, COUNT(*) AS n FROM request_log GROUP BY deployment_id HAVING n > ?')
      .all(REQUEST_LOG_MAX_ROWS) as { id: string; n: number }[];
    for (const { id, n } of over) {
      this.db
        .prepare('DELETE FROM request_log WHERE id IN (SELECT id FROM request_log WHERE deployment_id = ? ORDER BY at LIMIT ?)')
        .run(id, n - REQUEST_LOG_MAX_ROWS);
    }
  }

  rows(deploymentId: string, sinceMs: number): RequestLogRow[] {
    this.flush();
    return (
      this.db
        .prepare('SELECT at, prompt_tokens, completion_tokens, ttft_ms, status, request_id FROM request_log WHERE deployment_id = ? AND at >= ? ORDER BY at')
        .all(deploymentId, sinceMs) as any[]
    ).map((r) => ({
      at: r.at,
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      ttftMs: r.ttft_ms,
      status: r.status,
      requestId: r.request_id,
    }));
  }
}
