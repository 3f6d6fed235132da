import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patient } from '@medplum/fhirtypes';
import { openTestDb } from '../../testing/test-db.ts';
import type { Db } from '../../db/db.ts';
import { deleteSearchRows, extractSearchRows, writeSearchRows } from './index.ts';
import { syntheaPatient } from '../../testing/search-fixtures.ts';
import { patientOf } from '../definitions.ts';
import { hasSharedTestdata } from '../../testing/shared-testdata.ts';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

async function rowCounts(type: string, id: string): Promise<Record<string, number>> {
  const tables = ['search_token', 'search_string', 'search_date', 'search_reference', 'search_number'];
  const result: Record<string, number> = {};
  for (const t of tables) {
    const rows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${t} WHERE resource_type = $1 AND resource_id = $2`,
      [type, id],
    );
    result[t] = Number(rows.rows[0]?.n);
  }
  return result;
}

describe('writeSearchRows', () => {
  it('replaces the rows of a rewritten resource and deleteSearchRows removes them', async () => {
    const v1: Patient = {
      resourceType: 'Patient',
      id: 'w1',
      name: [{ family: 'Alpha', given: ['A'] }],
      birthDate: '1990',
    };
    await writeSearchRows(db, [{ resource: v1, patientId: 'w1' }]);
    const first = await rowCounts('Patient', 'w1');
    expect(first.search_string).toBe(extractSearchRows(v1).string.length);
    const v2: Patient = { ...v1, name: [{ family: 'Beta' }], gender: 'other' };
    await writeSearchRows(db, [{ resource: v2, patientId: 'w1' }]);
    const families = await db.query<{ norm: string }>(
      `SELECT norm FROM search_string WHERE resource_id = 'w1' AND param = 'family'`,
    );
    expect(families.rows.map((r) => r.norm)).toEqual(['beta']);
    const second = await rowCounts('Patient', 'w1');
    expect(second.search_token).toBe(extractSearchRows(v2).token.length);
    const owner = await db.query<{ patient_id: string }>(
      `SELECT DISTINCT patient_id FROM search_token WHERE resource_id = 'w1'`,
    );
    expect(owner.rows).toEqual([{ patient_id: 'w1' }]);
    await deleteSearchRows(db, 'Patient', 'w1');
    expect(Object.values(await rowCounts('Patient', 'w1')).every((n) => n === 0)).toBe(true);
  });

  it.skipIf(!hasSharedTestdata)('indexes Synthea bundles in batches at a useful rate', async () => {
    const resources = [...syntheaPatient(2), ...syntheaPatient(3), ...syntheaPatient(4)];
    for (const r of resources.slice(0, 200)) extractSearchRows(r); // warm the FHIRPath engine
    const items = resources.map((resource) => ({ resource, patientId: patientOf(resource) }));
    const started = performance.now();
    for (let i = 0; i < items.length; i += 500) {
      await db.transaction((tx) => writeSearchRows(tx, items.slice(i, i + 500)));
    }
    const perSecond = (items.length / (performance.now() - started)) * 1000;
    console.log(`${db.dialect}: indexed ${items.length} Synthea resources at ${Math.round(perSecond)}/s`);
    const total = await db.query<{ n: number }>(
      `SELECT count(DISTINCT resource_id)::int AS n FROM search_reference`,
    );
    expect(Number(total.rows[0]?.n)).toBeGreaterThan(items.length * 0.9);
    expect(perSecond).toBeGreaterThan(200);
    // Writing the same batch again leaves the same number of rows (old rows replaced).
    const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM search_token`);
    await db.transaction((tx) => writeSearchRows(tx, items.slice(0, 500)));
    const after = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM search_token`);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });
});
