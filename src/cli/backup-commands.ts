import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../app/config.ts';
import { FolderInUse, openDb, type Db } from '../db/index.ts';
import { recordAudit, verifyAuditChain } from '../fhir/audit-trail.ts';
import {
  backupServer,
  callServer,
  dumpEmbedded,
  findRunningServer,
  restoreEmbedded,
  restoreServer,
  writeWhole,
  type BackupHeader,
} from '../operations/index.ts';
import { cliContext, openConfiguredDb } from './context.ts';

/** One audit record of a backup or restore, written by the command line. */
async function audit(db: Db, action: 'export' | 'admin', detail: string): Promise<void> {
  const ctx = cliContext();
  await recordAudit(db, [
    {
      action,
      outcome: 'success',
      username: ctx.username,
      role: ctx.role,
      purpose: ctx.purpose,
      sourceAddress: ctx.sourceAddress,
      detail,
    },
  ]);
}

/** Backs up the embedded database: through the running server, or from the folder when none runs. */
async function backupEmbedded(file: string, dataDir: string): Promise<string> {
  const server = await findRunningServer(dataDir);
  if (server) {
    const answer = await callServer(server, 'GET', '/operations/backup');
    if (answer.status !== 200)
      throw new Error(`The server at ${server.url} refused the backup: ${answer.body.toString('utf8')}`);
    await writeWhole(file, (append) => append(answer.body));
    return `through the running server at ${server.url}`;
  }
  const db = await openConfiguredDb();
  try {
    const bytes = await dumpEmbedded(db);
    await writeWhole(file, (append) => append(bytes));
    await audit(db, 'export', `backup of the whole database to ${file}`);
  } finally {
    await db.close();
  }
  return `from ${dataDir}/db`;
}

/** The restored database's audit chain, checked and reported; a broken one fails the command. */
async function reportChain(db: Db): Promise<void> {
  const chain = await verifyAuditChain(db);
  if (chain.ok) console.log(`Audit trail intact: ${chain.checked} events verified.`);
  else {
    console.error(
      `Audit trail BROKEN at event #${chain.problem?.seq ?? '?'}: ${chain.problem?.reason ?? ''}`,
    );
    process.exitCode = 1;
  }
}

const made = (h: BackupHeader): string => `made ${h.createdAt}, ${h.migrations.length} migrations`;

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description(
      'Write a consistent backup of the database to <file> (embedded: also while the server runs; PostgreSQL: pg_dump)',
    )
    .argument('<file>', 'the backup file to write')
    .action(async (target: string) => {
      const file = resolve(target);
      const config = loadConfig();
      if (config.databaseUrl) {
        const header = await backupServer(config.databaseUrl, file);
        const db = await openConfiguredDb();
        try {
          await audit(db, 'export', `backup of the whole database to ${file}`);
        } finally {
          await db.close();
        }
        console.log(`Backed up the PostgreSQL database to ${file} (${made(header)}).`);
        return;
      }
      const how = await backupEmbedded(file, config.dataDir);
      console.log(`Backed up the embedded database ${how} to ${file}.`);
    });

  program
    .command('restore')
    .description(
      'Replace the database with a backup made by `custodian backup` (stop the server first); refuses a newer schema',
    )
    .argument('<file>', 'the backup file to restore')
    .action(async (source: string) => {
      const file = resolve(source);
      const config = loadConfig();
      if (config.databaseUrl) {
        const header = await restoreServer(file, config.databaseUrl);
        // Brings an older backup up to this version's schema.
        const db = await openDb({ databaseUrl: config.databaseUrl });
        try {
          await reportChain(db);
          await audit(db, 'admin', `database restored from ${file} (${made(header)})`);
        } finally {
          await db.close();
        }
        console.log(`Restored ${file} (${made(header)}) into the PostgreSQL database.`);
        return;
      }
      const folder = `${config.dataDir}/db`;
      const restored = await restoreEmbedded(file, folder, async (db, r) => {
        await reportChain(db);
        await audit(db, 'admin', `database restored from ${file} (${made(r.header)})`);
      }).catch((err: unknown) => {
        if (err instanceof FolderInUse)
          throw new Error(
            `${err.message}. A restore replaces the database under it: stop ${err.holder.holder === 'server' ? 'the server' : 'it'} ` +
              `first (Ctrl-C where it runs, or kill ${err.holder.pid}), then run \`custodian restore\` again.`,
          );
        throw err;
      });
      console.log(
        `Restored ${file} (${made(restored.header)}) into ${folder}.` +
          (restored.previous ? ` The database that was there is kept in ${restored.previous}.` : ''),
      );
    });
}
