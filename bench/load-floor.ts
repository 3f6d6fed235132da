import { openDb } from '../src/db/index.ts';
import { rawSqlPlusAuditServer, rawSqlServer, type LocalServer } from './store.bench.ts';

/**
 * The load bench's floor, a process of its own as the Custodian server is (so it does not share
 * the load generator's event loop): `tsx bench/load-floor.ts raw|raw+audit` serves store.bench's
 * bare node:http read (the read's raw SQL; with `raw+audit`, plus a durable record of each read,
 * group-committed before the answer) on the database of DATABASE_URL, or embedded in
 * LOAD_FLOOR_DATA_DIR. It prints `floor listening at <url>` and runs until SIGTERM.
 */
const kind = process.argv[2];
if (kind !== 'raw' && kind !== 'raw+audit')
  throw new Error(`usage: load-floor.ts raw|raw+audit (got ${kind})`);
const databaseUrl = process.env.DATABASE_URL || undefined;
const db = await openDb({
  databaseUrl,
  dataDir: databaseUrl ? undefined : process.env.LOAD_FLOOR_DATA_DIR,
});
// A floor run that was killed left its read log behind: store.bench creates it anew.
if (kind === 'raw+audit') await db.query('DROP TABLE IF EXISTS bench_read_log');
const server: LocalServer = kind === 'raw' ? await rawSqlServer(db) : await rawSqlPlusAuditServer(db);
console.log(`floor listening at ${server.url}`);
process.once('SIGTERM', () => {
  void server
    .close()
    .then(() => db.close())
    .finally(() => process.exit(0));
});
