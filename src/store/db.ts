import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/**
 * Schema migrations per module ("core", "models", "history", ...): each module owns an ordered list of
 * SQL scripts; `schema_migrations` records how many of each were applied. Never edit a shipped script:
 * append a new one. The server's full list is src/store/schema.ts.
 */
export interface ModuleMigrations {
  module: string;
  scripts: readonly string[];
}
export type Migrations = readonly ModuleMigrations[];

/** Opens (creating) the SQLite file in WAL mode and applies the pending ones of `migrations`, one transaction each. */
export function openDb(path: string, migrations: Migrations): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

/** Applies pending migrations; `upTo` stops a module at a version (tests of a migration). */
export function migrate(db: Db, migrations: Migrations, upTo: Readonly<Record<string, number>> = {}): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  for (const { module, scripts } of migrations) {
    const row = db.prepare('SELECT version FROM schema_migrations WHERE module = ?').get(module) as { version: number } | undefined;
    for (let v = row?.version ?? 0; v < Math.min(scripts.length, upTo[module] ?? Infinity); v++) {
      db.transaction(() => {
        db.exec(scripts[v]);
        db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version').run(
          module,
          v + 1,
        );
      })();
    }
  }
}
