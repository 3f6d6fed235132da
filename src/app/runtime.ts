import type { FastifyInstance } from 'fastify';
import { flushAudit } from '../fhir/audit-trail.ts';
import { countUsers, createUser, generatePassword } from '../auth/users.ts';
import type { Config } from './config.ts';
import { openDb, type Db } from '../db/index.ts';
import { buildApp } from './server.ts';
import { ensureSearchIndexCurrent } from '../fhir/reindex.ts';
import type { RequestContext } from '../auth/access.ts';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  url: string;
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
    }));
  // Before anything else writes: a fresh store is simply marked as indexed by this version.
  await ensureSearchIndexCurrent(db, SERVER_CONTEXT, log);
  await ensureAdmin(db, config, log);
  const app = await buildApp({ db, config, web: options.web ?? true });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${config.tlsCert && config.tlsKey ? 'https' : 'http'}://${config.host}:${port}`;
  return {
    app,
    db,
    url,
    async stop() {
      await app.close();
      await flushAudit(db);
      if (!options.db) await db.close();
    },
  };
}
