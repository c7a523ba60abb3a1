/**
 * A fault for tests: the real SQLite database, whose writes fail with SQLITE_FULL (as better-sqlite3
 * reports a full disk) while `full()` is true. Reads go through. A fake of the one thing that cannot be
 * arranged here safely: filling the test machine's disk.
 */
import type { Db } from '../store/db.js';

export function diskFullError(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

export function failingWrites(db: Db, full: () => boolean): Db {
  const wrapStatement = (stmt: object) =>
    new Proxy(stmt, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === 'run' && typeof v === 'function') {
          return (...args: unknown[]) => {
            if (full()) throw diskFullError();
            return v.apply(target, args);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql));
      if (prop === 'exec') {
        return (sql: string) => {
          if (full()) throw diskFullError();
          return target.exec(sql);
        };
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
