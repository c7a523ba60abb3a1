import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Schema migrations per module ("core", "models", "history", ...): each module owns an ordered list of
 * SQL scripts; `schema_migrations` records how many of each were applied. Never edit a shipped script:
 * append a new one.
 */
const registry = new Map<string, readonly string[]>([['core', MIGRATIONS]]);

export function registerMigrations(module: string, scripts: readonly string[]): void {
  registry.set(module, scripts);
}

/** Opens (creating) the SQLite file in WAL mode and applies pending migrations, one transaction each. */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Applies pending migrations; `upTo` stops a module at a version (tests of a migration). */
export function migrate(db: Db, upTo: Readonly<Record<string, number>> = {}): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  for (const [module, scripts] of registry) {
    const row = db.prepare('SELECT version FROM schema_migrations WHERE module = ?').get(module) as { version: number } | undefined;
    for (let v = row?.version ?? 0; v < Math.min(scripts.length, upTo[module] ?? Infinity); v++) {
      db.transaction(() => {
        db.exec(scripts[v]);
        db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version').run(module, v + 1);
      })();
    }
  }
}
