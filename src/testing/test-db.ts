import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../db/index.ts';
import { testDatabaseUrl } from '../app/config.ts';

/**
 * A fresh, empty, migrated database for one test file: in-memory PGlite by default, or a new
 * database on the PostgreSQL server named by CUSTODIAN_TEST_DATABASE_URL (CI runs both).
 */
export async function openTestDb(): Promise<Db> {
  const serverUrl = testDatabaseUrl();
  if (!serverUrl) return openDb({});
  return openDb({ databaseUrl: await createServerDatabase(serverUrl) });
}

/** Creates an empty database on a PostgreSQL server and returns its URL. */
export async function createServerDatabase(serverUrl: string): Promise<string> {
  const name = `custodian_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
