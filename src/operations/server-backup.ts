import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { migrationNames, openPostgres } from '../db/index.ts';
import { appliedMigrations } from './embedded-backup.ts';
import {
  assertRestorable,
  headerBytes,
  readBackupHeader,
  writeWhole,
  type BackupHeader,
} from './backup-file.ts';

/**
 * A PostgreSQL server is backed up and restored with its own tools, pg_dump and pg_restore. They
 * must be at least as new as the server: the newest of Debian's /usr/lib/postgresql/<major>/bin
 * (the plain `pg_dump` on the PATH picks by cluster, not by the server we connect to), else
 * whichever the PATH has.
 */
export function postgresTool(name: 'pg_dump' | 'pg_restore'): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return majors[0] ? join(root, majors[0], 'bin', name) : name;
}

/** Runs a PostgreSQL tool; its stderr becomes the error when it fails. */
function run(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) =>
      reject(new Error(`Cannot run ${tool}: ${err.message} (install the PostgreSQL client tools)`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${tool} failed (exit ${code ?? 'signal'}): ${stderr.trim()}`)),
    );
  });
}

/**
 * Backs up the database at `url` into `file` (written whole or not at all): the header, then
 * pg_dump's custom-format archive, which pg_dump takes in one snapshot while the servers keep
 * running.
 */
export async function backupServer(url: string, file: string): Promise<BackupHeader> {
  const db = await openPostgres(url);
  let migrations: string[];
  try {
    migrations = await appliedMigrations(db);
  } finally {
    await db.close();
  }
  const header: BackupHeader = { kind: 'postgres', migrations, createdAt: new Date().toISOString() };
  // pg_dump writes its archive to a file of its own first: a custom archive records where each
  // table's data starts, counted from the start of its own file, not of ours.
  const dir = await mkdtemp(join(tmpdir(), 'custodian-backup-'));
  try {
    const archive = join(dir, 'archive.dump');
    await run(postgresTool('pg_dump'), [
      '--format=custom',
      '--no-owner',
      `--dbname=${url}`,
      `--file=${archive}`,
    ]);
    await writeWhole(file, async (append) => {
      await append(headerBytes(header));
      for await (const chunk of createReadStream(archive)) await append(chunk as Buffer);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return header;
}

/**
 * Restores a backup into the database at `url` in one transaction (pg_restore
 * --single-transaction: all of it or, on any error, nothing), replacing the objects the backup
 * holds. Refused for an embedded backup and for a newer schema before anything is touched.
 * Stop every Custodian server using that database first.
 */
export async function restoreServer(file: string, url: string): Promise<BackupHeader> {
  const { header, payloadAt } = await readBackupHeader(file);
  if (header.kind !== 'postgres')
    throw new Error(
      `${file} is a backup of the embedded database: restore it without DATABASE_URL (into CUSTODIAN_DATA_DIR)`,
    );
  assertRestorable(file, header, await migrationNames());
  // pg_restore wants the archive as a file of its own (it seeks in it).
  const dir = await mkdtemp(join(tmpdir(), 'custodian-restore-'));
  try {
    const archive = join(dir, 'archive.dump');
    await pipeline(createReadStream(file, { start: payloadAt }), createWriteStream(archive));
    await run(postgresTool('pg_restore'), [
      '--clean',
      '--if-exists',
      '--no-owner',
      '--no-privileges',
      '--single-transaction',
      '--exit-on-error',
      `--dbname=${url}`,
      archive,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return header;
}
