import { readFile, readdir, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { lockFolder, migrate, migrationNames, openPglite, type Db, type PgliteDb } from '../db/index.ts';
import { flushAudit } from '../fhir/audit-trail.ts';
import { assertRestorable, headerBytes, readBackupHeader, type BackupHeader } from './backup-file.ts';

const gzipped = promisify(gzip);
const gunzipped = promisify(gunzip);

const isPglite = (db: Db): db is PgliteDb => db.dialect === 'pglite' && 'dumpDataDir' in db;

/** The migrations applied to a database, as its schema_migration table lists them. */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const r = await db.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY name');
  return r.rows.map((row) => row.name);
}

/**
 * A consistent snapshot of an embedded database, as a backup file's bytes. PGlite runs one
 * statement at a time and the dump waits its turn behind any open transaction (pglite.ts), so
 * the snapshot holds whole transactions only; the server keeps serving while it is written.
 * Queued audit records are written first, so the reads answered so far are in it.
 */
export async function dumpEmbedded(db: Db): Promise<Buffer> {
  if (!isPglite(db)) throw new Error('Not an embedded database: back up a PostgreSQL server with pg_dump');
  await flushAudit(db);
  const migrations = await appliedMigrations(db);
  const tar = new Uint8Array(await (await db.dumpDataDir()).arrayBuffer());
  const header: BackupHeader = { kind: 'pglite', migrations, createdAt: new Date().toISOString() };
  return Buffer.concat([headerBytes(header), await gzipped(tar)]);
}

export interface EmbeddedRestore {
  header: BackupHeader;
  /** Where the database that was in the folder before was moved (kept, not deleted). */
  previous: string | undefined;
}

async function folderHasData(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder)).length > 0;
  } catch {
    return false;
  }
}

/**
 * Replaces the embedded database in `folder` with a backup and brings it up to this version's
 * schema. Refused while anyone holds the folder (the running server above all), for a backup of
 * another kind, and for one from a newer schema, before anything is touched. The database found
 * in the folder is moved aside, not deleted, and moved back if the restore fails. `opened` runs
 * on the restored database before it is closed (verification, the audit record of the restore).
 */
export async function restoreEmbedded(
  file: string,
  folder: string,
  opened: (db: Db, restore: EmbeddedRestore) => Promise<void>,
): Promise<EmbeddedRestore> {
  const { header, payloadAt } = await readBackupHeader(file);
  if (header.kind !== 'pglite')
    throw new Error(
      `${file} is a backup of a PostgreSQL server: restore it with DATABASE_URL set to the server to restore into`,
    );
  assertRestorable(file, header, await migrationNames());
  const tar = new Uint8Array(await gunzipped((await readFile(file)).subarray(payloadAt))).slice();
  const lock = await lockFolder(folder, 'custodian restore');
  let previous: string | undefined;
  try {
    if (await folderHasData(folder)) {
      previous = `${folder}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(folder, previous);
    }
    const restore: EmbeddedRestore = { header, previous };
    let db: Db | undefined;
    try {
      db = await openPglite(folder, { lock, loadDataDir: tar });
      await migrate(db);
      await opened(db, restore);
      await db.close();
      return restore;
    } catch (err) {
      await db?.close().catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
      if (previous) await rename(previous, folder);
      throw err;
    }
  } finally {
    await lock.release();
  }
}
