import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { writeVersions } from './unchecked-storage.ts';
import { noteWrites } from './statistics.ts';

/** PGlite only: a PostgreSQL server analyses by itself. */
describe('planner statistics on PGlite', () => {
  let db: Db;
  const reltuples = async () =>
    Number(
      (
        await db.query<{ n: number }>(
          `SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'fhir_resource'::regclass`,
        )
      ).rows[0]?.n,
    );
  const addPatients = (from: number, n: number) =>
    db.transaction((tx) =>
      writeVersions(
        tx,
        Array.from({ length: n }, (_, i) => ({
          resource: { resourceType: 'Patient' as const, id: `s-${from + i}` },
          previousVersion: 0,
          deleted: false,
        })),
      ),
    );
  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    db = await openTestDb({ embedded: true });
    await addPatients(0, 4000);
    await db.query('ANALYZE');
  });
  afterAll(() => db.close());

  it('analyses once the store has grown by half since the last ANALYZE, counting from its real size', async () => {
    expect(await reltuples()).toBe(4000);
    await addPatients(4000, 2100);
    // A new process that has written 1,500 resources into a store of 4,000: not yet.
    noteWrites(db, 1500);
    await settle();
    expect(await reltuples()).toBe(4000);
    // 2,100 written: more than half of 4,000, so the statistics are brought up to date.
    noteWrites(db, 600);
    let seen = await reltuples();
    for (let i = 0; i < 50 && seen === 4000; i++) {
      await settle();
      seen = await reltuples();
    }
    expect(seen).toBe(6100);
  });
});
