import { userInfo } from 'node:os';
import type { RequestContext } from '../auth/access.ts';
import { loadConfig } from '../app/config.ts';
import { FolderInUse, openDb, type Db } from '../db/index.ts';
import { flushAudit } from '../fhir/audit-trail.ts';

/** The command line acts as a local system user; everything it does is audited under that name. */
export function cliContext(): RequestContext {
  return {
    userId: 'cli',
    username: `cli:${userInfo().username}`,
    role: 'system',
    purpose: 'HSYSADMIN',
    sourceAddress: 'local-cli',
    tokenId: 'cli',
    brokenGlassPatients: [],
  };
}

/** The configured database; closing it first writes any queued audit entries. */
export async function openConfiguredDb(): Promise<Db> {
  const config = loadConfig();
  const command = commandWords();
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : `${config.dataDir}/db`,
    holder: command,
  }).catch((err: unknown) => {
    throw err instanceof FolderInUse ? new Error(folderInUseAdvice(command, err)) : err;
  });
  const close = db.close.bind(db);
  db.close = async () => {
    await flushAudit(db);
    await close();
  };
  return db;
}

/** Prints a readable error and sets a failing exit code instead of a stack trace. */
export function fail(message: string): never {
  console.error(`custodian: ${message}`);
  process.exit(1);
}

/** `custodian user add`: the command as typed, its first two words (no passwords). */
export function commandWords(): string {
  // Command names only: option values (a password, a count) never end up in a lock file.
  const words = process.argv.slice(2).filter((a) => /^[a-z][a-z-]*$/.test(a));
  return ['custodian', ...words.slice(0, 2)].join(' ');
}

/** What to do when the embedded database is open in another process (issue #23). */
export function folderInUseAdvice(command: string, err: FolderInUse): string {
  const stop =
    err.holder.holder === 'server'
      ? `Stop the server first (Ctrl-C where it runs, or kill ${err.holder.pid}), then run \`${command}\` again. ` +
        'While the server runs, `custodian user`, `import`, `reindex`, `codes load`, `audit verify` and ' +
        '`backup` go through it by themselves.'
      : `Wait for it to finish (or stop it: kill ${err.holder.pid}), then run \`${command}\` again.`;
  return `${err.message}. ${stop}`;
}
