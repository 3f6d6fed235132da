import { userInfo } from 'node:os';
import type { RequestContext } from '../auth/access.ts';
import { loadConfig } from '../app/config.ts';
import { openDb, type Db } from '../db/index.ts';
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
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : `${config.dataDir}/db`,
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
