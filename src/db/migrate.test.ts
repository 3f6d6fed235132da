import { readdirSync } from 'node:fs';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../cli/context.ts';
import { FhirStore } from '../fhir/store.ts';
import { migrate, type Db } from './index.ts';
import { openEmptyTestDb } from '../testing/test-db.ts';

describe('migrations', () => {
  let db: Db;
  beforeAll(async () => {
    // From scratch: every other test file starts from a copy of a database migrated once.
    db = await openEmptyTestDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it('applies each migration once, in name order', async () => {
    const files = readdirSync(new URL('./migrations/', import.meta.url))
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(await migrate(db)).toEqual(files);
    expect(await migrate(db)).toEqual([]);
  });

  it('0002 keeps superseded versions only, and every version stays readable', async () => {
    const store = new FhirStore(db, cliContext());
    const patient: Patient = { resourceType: 'Patient', id: 'mig-1', gender: 'female' };
    await store.update('Patient', 'mig-1', patient);
    await store.update('Patient', 'mig-1', { ...patient, gender: 'male' });
    // The layout before 0002 also kept the current version in the history table.
    await db.query(
      `INSERT INTO fhir_resource_history (resource_type, id, version_id, last_updated, deleted, patient_id, content)
       SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content FROM fhir_resource
        WHERE resource_type = 'Patient' AND id = 'mig-1'`,
    );
    await db.query(`DROP VIEW fhir_resource_version`);
    await db.query(`DROP INDEX fhir_resource_all_updated`);
    // 0005 adds a column to the view 0002 makes: both run again, as on a store this old.
    await db.query(
      `DELETE FROM schema_migration WHERE name IN ('0002_history_superseded.sql', '0005_exact_content.sql')`,
    );
    expect(await migrate(db)).toEqual(['0002_history_superseded.sql', '0005_exact_content.sql']);

    const history = await db.query<{ version_id: number }>(
      `SELECT version_id FROM fhir_resource_history WHERE resource_type = 'Patient' AND id = 'mig-1'`,
    );
    expect(history.rows.map((r) => Number(r.version_id))).toEqual([1]);
    expect(((await store.vread('Patient', 'mig-1', '1')) as Patient).gender).toBe('female');
    expect(((await store.vread('Patient', 'mig-1', '2')) as Patient).gender).toBe('male');
    const bundle = await store.history('Patient', 'mig-1', new URLSearchParams());
    expect(bundle.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  });
});
