/**
 * HA followers keep a copy of what only the leader records: the metrics history (10 s and 5 min tiers),
 * the events, the request log and the cost ledger, and which deployments were deleted (their events and
 * request log go on the followers too). A follower that takes over then has the charts,
 * `deployment events`, forecasts, `simulate --deployment` and costs from before the takeover.
 *
 * Every copied table has a change number that grows with each write and is never reused (`rev` for the
 * history and the ledger, the AUTOINCREMENT id of events and the request log). A follower sends, with its load report, the last
 * change number it holds of each table and the leader's term it had them from; the leader answers with up
 * to ROWS_PER_TABLE newer rows per table, and `more` while it has more (the follower then asks again at
 * once). A follower applies a batch with INSERT OR REPLACE, so a row sent twice is written once.
 *
 * A new leader numbers its own writes after the highest number it held when it took over (its `mark`).
 * A follower whose numbers came from an earlier leader (or from its own file, after a restart) is sent
 * everything after min(its number, the mark): it may have been ahead of the new leader, and must not skip
 * the new leader's first rows.
 */
import { z } from 'zod';
import type { Db, ModuleMigrations } from '../store/db.js';

// deployments whose events and request log were deleted (with them): a follower deletes its copies too
/** The history copy's table (module "copy" of src/store/schema.ts). */
export const COPY_MIGRATIONS: ModuleMigrations = {
  module: 'copy',
  scripts: [`CREATE TABLE copy_forgotten (id INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id TEXT NOT NULL, at INTEGER NOT NULL);`],
};
/** how long a deletion is remembered for the followers (far longer than any copy lag) */
export const FORGOTTEN_KEEP_MS = 30 * 86_400_000;

export const ROWS_PER_TABLE = 2_000;
/** rows left to copy are counted up to this many (the count runs on every report) */
export const LEFT_COUNT_CAP = 1_000_000;

/** The copied tables and the column that numbers their changes. */
const TABLES = {
  history10s: { table: 'history_10s', rev: 'rev' },
  history5m: { table: 'history_5m', rev: 'rev' },
  events: { table: 'events', rev: 'id' },
  requests: { table: 'request_log', rev: 'id' },
  cost: { table: 'cost_usage', rev: 'rev' },
  forgotten: { table: 'copy_forgotten', rev: 'id' },
} as const;
export type CopiedTable = keyof typeof TABLES;
const NAMES = Object.keys(TABLES) as CopiedTable[];

// every table optional on the wire: a server of another version (a rolling upgrade) may copy fewer or more tables
const positions = z.object(Object.fromEntries(NAMES.map((n) => [n, z.number().int().min(0).default(0)])) as Record<CopiedTable, z.ZodDefault<z.ZodNumber>>);
export type Positions = z.output<typeof positions>;

/** What a follower sends with its report: the leader's term its rows came from (null: unknown) and its positions. */
export const copyCursorSchema = z.object({ term: z.string().nullable(), after: positions });
export type CopyCursor = z.output<typeof copyCursorSchema>;

const batchTable = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
  /** the change number of the last row sent (the position to ask from next) */
  last: z.number().int().min(0),
});
/** The leader's answer: rows per table after the follower's positions. */
export const copyBatchSchema = z.object({
  term: z.string(),
  tables: z.object(Object.fromEntries(NAMES.map((n) => [n, batchTable.optional()])) as Record<CopiedTable, z.ZodOptional<typeof batchTable>>),
  more: z.boolean(),
  /** rows still to copy after this batch, all tables (counted up to LEFT_COUNT_CAP per table) */
  left: z.number().int().min(0).default(0),
});
export type CopyBatch = z.output<typeof copyBatchSchema>;
/** A batch as this version serves it: every table present. */
export type ServedBatch = CopyBatch & { tables: Record<CopiedTable, z.output<typeof batchTable>> };

/**
 * A deleted deployment: its events and request log go, here and (through the copy) on the followers.
 * Its metrics history and cost rows stay until they age out, as on a single server.
 */
export function forgetDeployment(db: Db, deploymentId: string, now: number): void {
  db.transaction(() => {
    db.prepare('DELETE FROM events WHERE deployment_id = ?').run(deploymentId);
    db.prepare('DELETE FROM request_log WHERE deployment_id = ?').run(deploymentId);
    db.prepare('INSERT INTO copy_forgotten (deployment_id, at) VALUES (?, ?)').run(deploymentId, now);
    db.prepare('DELETE FROM copy_forgotten WHERE at < ?').run(now - FORGOTTEN_KEEP_MS);
  })();
}

const highest = (db: Db, name: CopiedTable): number => {
  const { table, rev } = TABLES[name];
  return (db.prepare(`SELECT COALESCE(MAX(${rev}), 0) AS n FROM ${table}`).get() as { n: number }).n;
};
const allHighest = (db: Db): Positions => Object.fromEntries(NAMES.map((n) => [n, highest(db, n)])) as Positions;

/** The leader's side: serves rows after a follower's positions. */
export class CopySource {
  private readonly mark: Positions;

  /** `term`: names this leadership (identity and takeover time); call when taking over, before writing. */
  constructor(
    private readonly db: Db,
    readonly term: string,
    private readonly limit = ROWS_PER_TABLE,
  ) {
    this.mark = allHighest(db);
  }

  serve(cursor: CopyCursor): ServedBatch {
    const sameTerm = cursor.term === this.term;
    let more = false;
    let left = 0;
    const tables = {} as ServedBatch['tables'];
    for (const name of NAMES) {
      const from = sameTerm ? cursor.after[name] : Math.min(cursor.after[name], this.mark[name]);
      const { table, rev } = TABLES[name];
      const stmt = this.db.prepare(`SELECT * FROM ${table} WHERE ${rev} > ? ORDER BY ${rev} LIMIT ?`).raw(true);
      const columns = stmt.columns().map((c) => c.name);
      const rows = stmt.all(from, this.limit) as (string | number | null)[][];
      const at = columns.indexOf(rev);
      const last = rows.length ? (rows[rows.length - 1][at] as number) : from;
      tables[name] = { columns, rows, last };
      if (rows.length === this.limit) {
        more = true;
        left += (this.db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${table} WHERE ${rev} > ? LIMIT ${LEFT_COUNT_CAP})`).get(last) as { n: number }).n;
      }
    }
    return { term: this.term, tables, more, left };
  }
}

/** A follower's side: asks from its positions and writes what the leader sends. */
export class CopySink {
  private term: string | null = null;
  private after?: Positions;
  private readonly known = new Map<string, Set<string>>();
  private readonly warned = new Set<string>();
  private catchingUp = false;

  constructor(
    private readonly db: Db,
    private readonly log: (line: string) => void,
  ) {}

  /** Where to continue; after a (re)start, from the highest numbers in this replica's own file. */
  cursor(): CopyCursor {
    this.after ??= allHighest(this.db);
    return { term: this.term, after: { ...this.after } };
  }

  /** Writes a batch (one transaction); returns whether the leader has more. */
  apply(input: unknown): boolean {
    const batch = copyBatchSchema.parse(input);
    const after = { ...this.cursor().after };
    this.db.transaction(() => {
      for (const name of NAMES) {
        const table = batch.tables[name];
        if (!table) continue; // a leader that does not copy this table
        const { columns, rows, last } = table;
        after[name] = last;
        if (!rows.length || !this.writable(name, columns)) continue;
        const ins = this.db.prepare(`INSERT OR REPLACE INTO ${TABLES[name].table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        for (const r of rows) ins.run(...r);
      }
      // rows of deleted deployments (also those that arrive after the deletion, from another table's page)
      if ([batch.tables.forgotten, batch.tables.events, batch.tables.requests].some((t) => t?.rows.length)) {
        for (const t of ['events', 'request_log']) this.db.prepare(`DELETE FROM ${t} WHERE deployment_id IN (SELECT deployment_id FROM copy_forgotten)`).run();
      }
    })();
    this.term = batch.term;
    this.after = after;
    if (batch.more && !this.catchingUp)
      this.log(`cluster: copying the leader's history, events, request log and cost ledger: ${batch.left.toLocaleString('en-US')} rows to go`);
    if (!batch.more && this.catchingUp) this.log("cluster: the copy of the leader's history has caught up");
    this.catchingUp = batch.more;
    return batch.more;
  }

  /** Columns the local table has (a leader of another version may send others: that table is skipped, and said so). */
  private writable(name: CopiedTable, columns: readonly string[]): boolean {
    const { table } = TABLES[name];
    let cols = this.known.get(table);
    if (!cols) this.known.set(table, (cols = new Set((this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name))));
    const unknown = columns.filter((c) => !cols.has(c));
    if (unknown.length && !this.warned.has(table) && this.warned.add(table))
      this.log(`cluster: the leader sent ${table} rows with column(s) ${unknown.join(', ')} this version does not have; not copied`);
    return unknown.length === 0;
  }
}
