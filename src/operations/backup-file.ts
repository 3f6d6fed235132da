import { open, rename, rm } from 'node:fs/promises';
import type { Dialect } from '../db/index.ts';

/**
 * A backup file: one line naming the format, one line of JSON saying what it holds (which
 * database kind, which migrations had been applied), then the database itself: PGlite's data
 * folder as a gzipped tar, or a PostgreSQL server's `pg_dump --format=custom` archive. The header
 * lets a restore refuse a file it cannot read (another kind, a newer schema) before touching
 * anything.
 */
export const BACKUP_MAGIC = 'CUSTODIAN-BACKUP 1';

export interface BackupHeader {
  /** pglite: a gzipped data folder tarball; postgres: a pg_dump custom-format archive. */
  kind: Dialect;
  /** The migrations applied to the database when it was backed up (schema_migration). */
  migrations: string[];
  createdAt: string;
}

/** The header as the first bytes of a backup file. */
export function headerBytes(header: BackupHeader): Buffer {
  return Buffer.from(`${BACKUP_MAGIC}\n${JSON.stringify(header)}\n`, 'utf8');
}

/** The most a header may take: a few hundred migration names. */
const MAX_HEADER_BYTES = 256 * 1024;

/** Reads a backup file's header and where its payload starts; a clear error for anything else. */
export async function readBackupHeader(file: string): Promise<{ header: BackupHeader; payloadAt: number }> {
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw new Error(`Cannot read the backup file ${file}: ${(err as Error).message}`);
  });
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    const first = head.indexOf(0x0a);
    const second = first < 0 ? -1 : head.indexOf(0x0a, first + 1);
    if (first < 0 || head.subarray(0, first).toString('utf8') !== BACKUP_MAGIC || second < 0)
      throw new Error(`${file} is not a Custodian backup (made by \`custodian backup\`)`);
    const header = parseHeader(head.subarray(first + 1, second).toString('utf8'));
    if (!header) throw new Error(`${file} has a damaged backup header`);
    return { header, payloadAt: second + 1 };
  } finally {
    await handle.close();
  }
}

function parseHeader(text: string): BackupHeader | undefined {
  try {
    const h = JSON.parse(text) as Partial<BackupHeader>;
    const kindOk = h.kind === 'pglite' || h.kind === 'postgres';
    const migrationsOk = Array.isArray(h.migrations) && h.migrations.every((m) => typeof m === 'string');
    return kindOk && migrationsOk && typeof h.createdAt === 'string' ? (h as BackupHeader) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a backup whose schema this version of Custodian does not know: restoring it would give
 * a database whose tables this code does not expect. An older backup is fine: the migrations it
 * lacks run when it is opened.
 */
export function assertRestorable(file: string, header: BackupHeader, known: readonly string[]): void {
  const unknown = header.migrations.filter((m) => !known.includes(m));
  if (unknown.length > 0)
    throw new Error(
      `${file} was made by a newer version of Custodian: its schema has migration(s) ${unknown.join(', ')} ` +
        `that this version does not know. Upgrade Custodian to the version that made it (or newer), then restore.`,
    );
}

/**
 * Writes a file whole or not at all: into `<file>.partial`, synced, then renamed over `file`. A
 * backup that fails half way never leaves a file that looks like a backup.
 */
export async function writeWhole(
  file: string,
  write: (append: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const partial = `${file}.partial`;
  const handle = await open(partial, 'w', 0o600);
  try {
    await write(async (bytes) => {
      await handle.write(bytes);
    });
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(partial, { force: true });
    throw err;
  }
  await handle.close();
  await rename(partial, file);
}
