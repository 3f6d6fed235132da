import type { FastifyInstance } from 'fastify';
import { flushAudit, startAuditFiler } from '../fhir/audit-trail.ts';
import { countUsers, createUser, generatePassword } from '../auth/users.ts';
import type { Config } from './config.ts';
import { openDb, type Db } from '../db/index.ts';
import { buildApp } from './server.ts';
import { ensureSearchIndexCurrent } from '../fhir/reindex.ts';
import { FhirStore } from '../fhir/store.ts';
import { backfillReleaseTimes } from '../disclosure/release.ts';
import type { RequestContext } from '../auth/access.ts';
import {
  announceServer,
  createOperatorKey,
  withdrawAnnouncement,
  type OperatorKey,
} from '../operations/index.ts';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  url: string;
  /** The local operator's key: the `custodian` command's way in while this server runs. */
  operator: OperatorKey;
  stop(): Promise<void>;
}

/** Creates the first administrator on an empty user table; prints a generated password once. */
export async function ensureAdmin(
  db: Db,
  config: Pick<Config, 'adminUser' | 'adminPassword'>,
  log: (line: string) => void,
): Promise<void> {
  if ((await countUsers(db)) > 0) return;
  const password = config.adminPassword ?? generatePassword();
  await db.transaction((tx) =>
    createUser(tx, { username: config.adminUser, password, role: 'admin', displayName: 'Administrator' }),
  );
  if (!config.adminPassword) {
    log(`Created administrator '${config.adminUser}' with password: ${password}`);
    log('This password is shown once. Change it with: custodian user reset-password');
  }
}

/** Work the server does on its own at start (the index rebuild) is audited under this name. */
const SERVER_CONTEXT: RequestContext = {
  userId: 'server',
  username: 'custodian-server',
  role: 'system',
  purpose: 'HSYSADMIN',
  sourceAddress: 'local',
  tokenId: 'server',
  brokenGlassPatients: [],
};

/** Opens the database, prepares it, and serves HTTP. Tests call this too. */
export async function startServer(
  config: Config,
  options: { web?: boolean; log?: (line: string) => void; db?: Db } = {},
): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const db =
    options.db ??
    (await openDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : `${config.dataDir}/db`,
      holder: 'server',
    }));
  // Before anything else writes: a fresh store is simply marked as indexed by this version.
  const reindexed = await ensureSearchIndexCurrent(db, SERVER_CONTEXT, log);
  // A store of an older version: requests it released lack Task.executionPeriod (index version 5).
  if (reindexed > 0) {
    const backfilled = await backfillReleaseTimes(new FhirStore(db, SERVER_CONTEXT));
    if (backfilled > 0)
      log(`Kept the release time of ${backfilled} earlier released requests where reports count it.`);
  }
  await ensureAdmin(db, config, log);
  const operator = createOperatorKey();
  const app = await buildApp({ db, config, web: options.web ?? true, operator });
  await app.listen({ port: config.port, host: config.host });
  // Reads record their AuditEvents in the audit inbox; this files them into the store in batches,
  // when reads pause (src/fhir/audit-trail.ts).
  const auditFiler = startAuditFiler(db);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${config.tlsCert && config.tlsKey ? 'https' : 'http'}://${config.host}:${port}`;
  // The embedded database folder is this process's alone now: the command line reaches it
  // through this server, with the key it finds here (src/operations/operator.ts).
  const ownsFolder = !options.db && !config.databaseUrl;
  if (ownsFolder) await announceServer(config.dataDir, { pid: process.pid, url, key: operator.key });
  return {
    app,
    db,
    url,
    operator,
    async stop() {
      if (ownsFolder) await withdrawAnnouncement(config.dataDir, process.pid);
      await app.close();
      await auditFiler.stop();
      await flushAudit(db);
      if (!options.db) await db.close();
    },
  };
}
