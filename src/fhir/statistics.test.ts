import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import { cliContext } from '../cli/context.ts';
import { openTestDb } from '../testing/test-db.ts';
import { FhirStore } from './store.ts';
import { writeVersions } from './unchecked-storage.ts';
import { believedRows, noteWrites } from './statistics.ts';

const addPatients = (db: Db, from: number, n: number) =>
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

/** PGlite only: a PostgreSQL server analyses a growing store by itself. */
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

  beforeAll(async () => {
    db = await openTestDb({ embedded: true });
    await addPatients(db, 0, 4000);
    await db.query('ANALYZE');
  });
  afterAll(() => db.close());

  it('analyses once the store has grown by half since the last ANALYZE, counting from its real size', async () => {
    expect(await reltuples()).toBe(4000);
    await addPatients(db, 4000, 2100);
    // A new process that has written 1,500 resources into a store of 4,000: not yet.
    noteWrites(db, new Array<string>(1500).fill('Patient'));
    await settle();
    expect(await reltuples()).toBe(4000);
    // 2,100 written: more than half of 4,000, so the statistics are brought up to date.
    noteWrites(db, new Array<string>(600).fill('Patient'));
    let seen = await reltuples();
    for (let i = 0; i < 50 && seen === 4000; i++) {
      await settle();
      seen = await reltuples();
    }
    expect(seen).toBe(6100);
  });
});

/**
 * Both backends: a server's autovacuum waits for a tenth of a table to change, so a type new to
 * a large store stayed unknown to the planner, and conditional references to it
 * (`Practitioner?identifier=...`) were planned as if it had one row.
 */
describe('planner statistics of a type new to the store', () => {
  let db: Db;
  const believedPractitioners = () => believedRows(db, 'Practitioner');

  beforeAll(async () => {
    db = await openTestDb();
    await addPatients(db, 0, 6000);
    await db.query('ANALYZE');
  });
  afterAll(() => db.close());

  it('is analysed once written more often than the planner believes it has rows', async () => {
    expect(await believedPractitioners()).toBeLessThan(10);
    // 300 Practitioners: 5% of the store, far below what a server's autovacuum waits for.
    const practitioners: Resource[] = Array.from({ length: 300 }, (_, i) => ({
      resourceType: 'Practitioner',
      id: `pr-${i}`,
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `99${i}` }],
    }));
    await new FhirStore(db, cliContext()).saveAll(practitioners);
    let believed = await believedPractitioners();
    for (let i = 0; i < 50 && believed < 100; i++) {
      await settle();
      believed = await believedPractitioners();
    }
    expect(believed).toBeGreaterThan(200);
  });
});
