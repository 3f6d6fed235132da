import type { Db } from './db.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export type { Db, Dialect, Queryable, QueryOptions, QueryResult } from './db.ts';
export { migrate } from './migrate.ts';
export { openPglite, type PgliteDb, type PgliteOptions } from './pglite.ts';
export { openPostgres } from './postgres.ts';

export interface DbOptions {
  /** postgres://... to use a PostgreSQL server; otherwise PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; undefined means in memory. */
  dataDir?: string | undefined;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDb(options: DbOptions): Promise<Db> {
  const db = options.databaseUrl
    ? await openPostgres(options.databaseUrl)
    : await openPglite(options.dataDir);
  await migrate(db);
  return db;
}
