import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, openDb, openPglite, openPostgres, type Db } from '../db/index.ts';
import { repoRoot, testDatabaseUrl } from '../app/config.ts';

/**
 * Test databases. Opening a fresh PGlite costs seconds (PGlite runs initdb in a second WASM
 * instance, then starts the first), far more than the migrations themselves; so every database is
 * migrated once per migration set, kept as a template, and each test file starts from its own
 * copy: on PGlite a load of the template's data folder tarball, on a PostgreSQL server
 * `CREATE DATABASE ... TEMPLATE`. Templates are named by a hash of what makes them (templateKey),
 * so a changed migration never meets a stale copy. src/db/migrate.test.ts still migrates an empty
 * database from scratch (openEmptyTestDb).
 */

/**
 * PGlite settings for test databases. shared_buffers is 128MB by default, and PGlite zeroes the
 * whole of shared memory at every start (most of what a start from a tarball costs); a test file's
 * database holds a few thousand rows at most, which 16MB holds with room to spare.
 */
const TEST_PGLITE_SETTINGS = { shared_buffers: '16MB' };
/**
 * The template's initdb: 1MB WAL segments instead of 16MB, so the tarball every test file loads
 * is about 15MB smaller (nothing in a test database archives or replicates WAL).
 */
const TEMPLATE_INITDB_ARGS = ['--wal-segsize=1'];

/** Where PGlite templates are kept between runs (`npm ci` empties it with node_modules). */
const CACHE_DIR = join(repoRoot, 'node_modules', '.cache', 'custodian-test-db');
/** Templates not used for a day are deleted when a new one is written (each use touches it). */
const STALE_AFTER_MS = 24 * 3600_000;

/**
 * A fresh, migrated database of its own for one test file: a copy of the migrated template, on
 * in-memory PGlite by default, or a new database on the PostgreSQL server named by
 * CUSTODIAN_TEST_DATABASE_URL (CI runs both). `embedded: true` is PGlite whatever the server.
 */
export async function openTestDb(options: { embedded?: boolean } = {}): Promise<Db> {
  const serverUrl = options.embedded ? undefined : testDatabaseUrl();
  if (serverUrl) {
    const template = await serverTemplate(serverUrl);
    return openDb({ databaseUrl: await createServerDatabase(serverUrl, template) });
  }
  const db = await openPglite(undefined, {
    // Read whole, not fs.openAsBlob: a file-backed Blob fails if the file is touched or replaced
    // (by a concurrent run finishing the same template) before PGlite reads it.
    loadDataDir: await readFile(await pgliteTemplate()),
    settings: TEST_PGLITE_SETTINGS,
  });
  // Nothing to apply on a current template; a no-op check that keeps openDb's promise.
  await migrate(db);
  return db;
}

/** An empty, unmigrated database (PGlite, or a new one on the server), for the migration tests. */
export async function openEmptyTestDb(): Promise<Db> {
  const serverUrl = testDatabaseUrl();
  if (!serverUrl) return openPglite(undefined);
  return openPostgres(await createServerDatabase(serverUrl));
}

/**
 * This test run, in the names of the databases it creates on a server: the run's teardown drops
 * them all (a server of a developer's would otherwise keep a database per test file of every run).
 * Set by globalSetup, which the test files' processes inherit.
 */
const RUN = 'CUSTODIAN_TEST_RUN';
const runDatabasePrefix = (run: string): string => `custodian_test_${run}_`;

/** Creates a database on a PostgreSQL server (empty, or a copy of `template`) and returns its URL. */
export async function createServerDatabase(serverUrl: string, template?: string): Promise<string> {
  const name = `${runDatabasePrefix(process.env[RUN] ?? 'adhoc')}${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (admin) =>
    admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`),
  );
  return databaseUrl(serverUrl, name);
}

/**
 * vitest globalSetup: builds the templates once, before the test files start in parallel (each
 * would otherwise build its own on a cold cache; the results are the same, only slower). Its
 * teardown drops the databases this run created on the server.
 */
export async function setup(): Promise<() => Promise<void>> {
  const serverUrl = testDatabaseUrl();
  const run = randomBytes(4).toString('hex');
  process.env[RUN] = run;
  await Promise.all([pgliteTemplate(), serverUrl ? serverTemplate(serverUrl) : undefined]);
  return async () => {
    // Tidying only: a database left behind must not fail a run whose tests passed.
    if (serverUrl)
      await dropRunDatabases(serverUrl, run).catch((err: unknown) =>
        console.warn(`Could not drop this run's test databases: ${String(err)}`),
      );
  };
}

async function dropRunDatabases(serverUrl: string, run: string): Promise<void> {
  await onServer(serverUrl, async (admin) => {
    const made = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [runDatabasePrefix(run)],
    );
    // FORCE: a test that failed may have left its connections open.
    for (const { datname } of made.rows) await admin.query(`DROP DATABASE ${datname} WITH (FORCE)`);
  });
}

let key: Promise<string> | undefined;

/**
 * Hash of everything that makes a template: the migrations, the code that runs them and builds the
 * template (this file, the PGlite adapter), and the PGlite version.
 */
function templateKey(): Promise<string> {
  key ??= (async () => {
    const hash = createHash('sha256');
    const migrations = (await readdir(join(repoRoot, 'src/db/migrations')))
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => `src/db/migrations/${f}`);
    for (const file of [
      'node_modules/@electric-sql/pglite/package.json',
      'src/db/migrate.ts',
      'src/db/pglite.ts',
      'src/testing/test-db.ts',
      ...migrations,
    ]) {
      hash.update(`\0${file}\0`);
      hash.update(await readFile(join(repoRoot, file)));
    }
    return hash.digest('hex').slice(0, 16);
  })();
  return key;
}

let pgliteFile: Promise<string> | undefined;

/** The PGlite template's tarball (built if missing): migrated, checkpointed, uncompressed. */
function pgliteTemplate(): Promise<string> {
  pgliteFile ??= (async () => {
    const file = join(CACHE_DIR, `${await templateKey()}.tar`);
    try {
      // Touched on use, so that pruning spares the templates still in use.
      const now = new Date();
      await utimes(file, now, now);
      return file;
    } catch {
      // Not built yet.
    }
    const db = await openPglite(undefined, { initdbArgs: TEMPLATE_INITDB_ARGS });
    try {
      await migrate(db);
      const tarball = new Uint8Array(await (await db.dumpDataDir()).arrayBuffer());
      await mkdir(CACHE_DIR, { recursive: true });
      // Written aside and renamed: a concurrent run sees the whole file or none.
      const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      await writeFile(partial, tarball);
      await rename(partial, file);
    } finally {
      await db.close();
    }
    await pruneStaleTemplates(file);
    return file;
  })();
  return pgliteFile;
}

async function pruneStaleTemplates(keep: string): Promise<void> {
  for (const name of await readdir(CACHE_DIR)) {
    const path = join(CACHE_DIR, name);
    if (path === keep) continue;
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS) await rm(path, { force: true });
  }
}

const serverTemplates = new Map<string, Promise<string>>();

/**
 * The migrated template database on a server (built if missing). It is built under a name of its
 * own and renamed when complete, so its name existing means it is whole; it takes no connections,
 * since CREATE DATABASE ... TEMPLATE refuses a template anyone is connected to.
 */
function serverTemplate(serverUrl: string): Promise<string> {
  let template = serverTemplates.get(serverUrl);
  if (!template) {
    template = buildServerTemplate(serverUrl);
    serverTemplates.set(serverUrl, template);
  }
  return template;
}

async function buildServerTemplate(serverUrl: string): Promise<string> {
  const name = `custodian_template_${await templateKey()}`;
  const exists = await onServer(serverUrl, (admin) =>
    admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]),
  );
  if (exists.rows.length > 0) return name;
  const building = `${name}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (admin) => admin.query(`CREATE DATABASE ${building}`));
  const db = await openDb({ databaseUrl: databaseUrl(serverUrl, building) });
  await db.close();
  await onServer(serverUrl, async (admin) => {
    await admin.query(`ALTER DATABASE ${building} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    try {
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    } catch (err) {
      // Another run finished the same template first: use theirs.
      if ((err as { code?: string }).code !== '42P04') throw err;
      await admin.query(`ALTER DATABASE ${building} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE ${building}`);
    }
  });
  return name;
}

async function onServer<T>(serverUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
