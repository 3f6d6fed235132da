import type { Db } from './db.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export type { Db, Dialect, Queryable, QueryOptions, QueryResult } from './db.ts';
export { migrate, migrationNames } from './migrate.ts';
export { openPglite, type PgliteDb, type PgliteOptions } from './pglite.ts';
export { openPostgres } from './postgres.ts';
export {
  FolderInUse,
  folderHolder,
  lockFileOf,
  lockFolder,
  type FolderHolder,
  type FolderLock,
} from './folder-lock.ts';

export interface DbOptions {
  /** postgres://... to use a PostgreSQL server; otherwise PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; undefined means in memory. */
  dataDir?: string | undefined;
  /** What this process is, named to whoever the data folder's lock refuses (folder-lock.ts). */
  holder?: string | undefined;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDb(options: DbOptions): Promise<Db> {
  const db = options.databaseUrl
    ? await openPostgres(options.databaseUrl)
    : await openPglite(options.dataDir, { holder: options.holder });
  await migrate(db);
  return db;
}
