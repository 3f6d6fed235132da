import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import type { Db, Queryable, QueryResult } from './db.ts';

/**
 * PGlite has one backend; concurrent callers must take turns, and a transaction must hold the
 * connection from BEGIN to COMMIT. This queue serialises every call.
 */
class Turnstile {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export async function openPglite(dataDir: string | undefined): Promise<Db> {
  // PGlite creates its own folder but not the parents of it (./data on a fresh clone).
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const pg = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    extensions: { pg_trgm, fuzzystrmatch },
  });
  const turns = new Turnstile();
  const raw = async <T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
    const res = await pg.query<T>(sql, params ? [...params] : undefined);
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
  };
  return {
    dialect: 'pglite',
    query: (sql, params) => turns.run(() => raw(sql, params)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      turns.run(async () => {
        // We do not use pg.transaction(): it skips the file system sync after COMMIT
        // (electric-sql/pglite#1065). Plain BEGIN/COMMIT queries each end with a sync,
        // and we sync once more after COMMIT before answering anyone.
        await pg.exec('BEGIN');
        let value: T;
        try {
          value = await fn({ query: raw });
        } catch (err) {
          await pg.exec('ROLLBACK');
          throw err;
        }
        await pg.exec('COMMIT');
        await pg.syncToFs();
        return value;
      }),
    close: () => turns.run(() => pg.close()),
  };
}
