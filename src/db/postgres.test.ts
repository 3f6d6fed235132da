import type { OperationOutcome } from '@medplum/fhirtypes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { createServerDatabase } from '../testing/test-db.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { StatementCancelled, type Db } from './db.ts';
import { migrate } from './migrate.ts';
import { DEFAULT_STATEMENT_TIMEOUT_MS, openPostgres } from './postgres.ts';

/**
 * Issue #21 item 3 on a PostgreSQL server: a statement runs at most the pool's statement timeout,
 * and a request whose statement was cancelled is answered 503 OperationOutcome, not 500. Runs
 * only when CUSTODIAN_TEST_DATABASE_URL names a server (PGlite has no timeout: src/db/README.md).
 */
const serverUrl = testDatabaseUrl();

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(!serverUrl)('statement timeout (PostgreSQL server)', () => {
  let url: string;
  beforeAll(async () => {
    url = await createServerDatabase(serverUrl as string);
  });

  it('cancels a statement past the timeout, in a transaction too, and the pool stays usable', async () => {
    const db = await openPostgres(url, { statementTimeoutMs: 100 });
    try {
      const sleep = db.query('SELECT pg_sleep(2)');
      await expect(sleep).rejects.toBeInstanceOf(StatementCancelled);
      await expect(sleep).rejects.toMatchObject({
        code: '57014',
        message: /after 0.1 s \(statement timeout\)/,
      });
      await expect(db.transaction((tx) => tx.query('SELECT pg_sleep(2)'))).rejects.toBeInstanceOf(
        StatementCancelled,
      );
      expect((await db.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
      // Other errors pass through as the driver reports them.
      await expect(db.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await db.close();
    }
  });

  it('puts every connection under the default timeout unless told otherwise', async () => {
    const db = await openPostgres(url);
    try {
      const shown = await db.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(shown.rows[0]?.statement_timeout).toBe(`${DEFAULT_STATEMENT_TIMEOUT_MS / 1000}s`);
    } finally {
      await db.close();
    }
  });

  it('lets migrations run past the timeout (one start waiting for another to migrate), nothing else', async () => {
    const fresh = await createServerDatabase(serverUrl as string);
    const db = await openPostgres(fresh, { statementTimeoutMs: 300 });
    try {
      // Another process migrating holds the migrations' lock for longer than the timeout.
      await withClient(fresh, async (other) => {
        await other.query('SELECT pg_advisory_lock(724001)');
        const migrating = migrate(db);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await other.query('SELECT pg_advisory_unlock(724001)');
        expect((await migrating).length).toBeGreaterThan(0);
      });
      await expect(db.query('SELECT pg_sleep(1)')).rejects.toBeInstanceOf(StatementCancelled);
    } finally {
      await db.close();
    }
  });

  describe('through HTTP', () => {
    let server: TestServer;
    let own: string;
    beforeAll(async () => {
      own = await createServerDatabase(serverUrl as string);
      const db: Db = await openPostgres(own, { statementTimeoutMs: 1000 });
      await migrate(db);
      server = await startTestServer({ db });
    });
    afterAll(async () => server?.stop());

    it('answers a search cancelled by the timeout 503 OperationOutcome, then serves it again', async () => {
      const token = await server.token('him-technician');
      const search = () =>
        fetch(`${server.url}/fhir/R4/Observation?value-quantity=5`, {
          headers: { authorization: `Bearer ${token}` },
          // Without a timeout the search would wait for the lock below for as long as it is held.
          signal: AbortSignal.timeout(30_000),
        });
      expect((await search()).status).toBe(200);
      // A lock held elsewhere that the search must wait for, longer than its statement may run.
      // Only the search reads search_number: sign-in and the audit trail never touch it.
      await withClient(own, async (other) => {
        await other.query('BEGIN');
        await other.query('LOCK TABLE search_number IN ACCESS EXCLUSIVE MODE');
        try {
          const res = await search();
          expect(res.status).toBe(503);
          const outcome = (await res.json()) as OperationOutcome;
          expect(outcome.resourceType).toBe('OperationOutcome');
          expect(outcome.issue?.[0]?.code).toBe('too-costly');
          expect(outcome.issue?.[0]?.diagnostics).toMatch(/statement timeout/);
        } finally {
          await other.query('ROLLBACK');
        }
      });
      expect((await search()).status).toBe(200);
    });
  });
});
