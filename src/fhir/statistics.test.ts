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
        resource: {
          resourceType: 'Patient' as const,
          id: `s-${from + i}`,
          name: [{ family: `Quayle${from + i}`, given: ['Bartholomew'] }],
        },
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

  const statisticsOf = async (table: string) =>
    (
      await db.query<{ attname: string }>(
        `SELECT attname FROM pg_stats WHERE tablename = $1 ORDER BY attname`,
        [table],
      )
    ).rows.map((r) => r.attname);

  beforeAll(async () => {
    db = await openTestDb();
    // A server's autovacuum would analyse these 6,000 new rows by itself (every column, documents
    // too) whenever its minute comes round; what this test asks is what our own ANALYZE covers.
    for (const table of ['fhir_resource', 'search_string']) {
      await db.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    await addPatients(db, 0, 6000);
    // The planner knows the store's size and types; nothing else has been analysed yet.
    await db.query('ANALYZE fhir_resource (resource_type), search_string (resource_type)');
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
    // What a type's plans turn on is analysed; the documents and the finder's name expressions
    // (Double Metaphone, Soundex over every sampled name) are left to the whole-database ANALYZE.
    expect(await statisticsOf('fhir_resource')).toEqual(
      expect.arrayContaining(['id', 'patient_id', 'resource_type', 'security']),
    );
    expect(await statisticsOf('fhir_resource')).not.toContain('content');
    expect(await statisticsOf('search_string')).toEqual(expect.arrayContaining(['norm', 'param']));
    expect(await statisticsOf('search_string_patient_name_metaphone')).toEqual([]);
  });
});
