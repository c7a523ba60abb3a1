/** For tests: what a store holds, table by table, to assert that a refused request changed nothing. */
import type { Store } from './store.js';

/** Every row of every table (schema_migrations included), each table's rows in one order (tables WITHOUT ROWID too). */
export function storeContents(store: Store): Record<string, string[]> {
  const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return Object.fromEntries(
    tables.map(({ name }) => [
      name,
      store.db
        .prepare(`SELECT * FROM "${name}"`)
        .all()
        .map((r) => JSON.stringify(r))
        .sort(),
    ]),
  );
}
