import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { isOutcomeError } from './outcomes.ts';
import { readCurrent, writeVersions } from './unchecked-storage.ts';

describe('writeVersions', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => {
    await db.close();
  });

  const patient = (gender: Patient['gender']): Patient & { id: string } => ({
    resourceType: 'Patient',
    id: 'repo-1',
    gender,
  });

  it('refuses to replace a version other than the one the writer read', async () => {
    await db.transaction((tx) =>
      writeVersions(tx, [{ resource: patient('female'), previousVersion: 0, deleted: false }]),
    );
    // A second writer that also believed the id was new must fail, not erase the first one.
    const err = await db
      .transaction((tx) =>
        writeVersions(tx, [{ resource: patient('male'), previousVersion: 0, deleted: false }]),
      )
      .catch((e: unknown) => e);
    expect(isOutcomeError(err) && err.status).toBe(409);
    const current = await readCurrent(db, 'Patient', 'repo-1');
    expect((current?.content as Patient).gender).toBe('female');

    await db.transaction((tx) =>
      writeVersions(tx, [{ resource: patient('male'), previousVersion: 1, deleted: false }]),
    );
    const history = await db.query<{ version_id: number; gender: string }>(
      `SELECT version_id, content->>'gender' AS gender FROM fhir_resource_version WHERE id = 'repo-1' ORDER BY version_id`,
    );
    expect(history.rows.map((r) => [Number(r.version_id), r.gender])).toEqual([
      [1, 'female'],
      [2, 'male'],
    ]);
  });
});
