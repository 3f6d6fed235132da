import type { Condition, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import type { RequestContext } from './request-context.ts';
import { FhirStore } from './store.ts';
import { tallyRecords } from './tally.ts';
import { writeVersions } from './unchecked-storage.ts';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };

const condition = (
  id: string,
  codes: Array<[string, string]>,
  extra: Partial<Condition> = {},
): Condition & { id: string } => ({
  resourceType: 'Condition',
  id,
  subject: { reference: 'Patient/t-p1' },
  recordedDate: '2025-03-04',
  ...(codes.length > 0
    ? { code: { coding: codes.map(([code, display]) => ({ system: ICD10CM, code, display })) } }
    : {}),
  ...extra,
});

/** What a tally answers: one row per key value, a record counted once per group it falls in. */
describe('tallyRecords', () => {
  let db: Db;
  let store: FhirStore;
  let glass: FhirStore;

  beforeAll(async () => {
    db = await openTestDb();
    const records: Array<Resource & { id: string }> = [
      { resourceType: 'Patient', id: 't-p1' },
      condition('t-c1', [['I10', 'Hypertension']]),
      // Another display of the same code: the group's label is its first record's (t-c1).
      condition('t-c2', [
        ['I10', 'Essential hypertension'],
        ['E11.9', 'Diabetes'],
      ]),
      // The same code twice on one record: still one record in the group.
      condition('t-c3', [
        ['E11.9', 'Diabetes'],
        ['E11.9', 'Diabetes'],
      ]),
      condition('t-c4', []),
      // Hidden from the director by its label: neither counted nor shown.
      condition('t-c5', [['J18.9', 'Pneumonia']], { meta: { security: [RESTRICTED] } }),
      condition('t-c6', [['I10', 'Hypertension']], { recordedDate: '2024-12-31' }),
      // A restricted patient's record: hidden through its patient, unless the glass is broken.
      { resourceType: 'Patient', id: 't-p2', meta: { security: [RESTRICTED] } },
      condition('t-c7', [['J18.9', 'Pneumonia']], { subject: { reference: 'Patient/t-p2' } }),
      condition('t-c8', [['J18.9', 'Pneumonia']]),
    ];
    await db.transaction((tx) =>
      writeVersions(
        tx,
        records.map((resource) => ({ resource, previousVersion: 0, deleted: false })),
      ),
    );
    const ctx: RequestContext = {
      userId: 'tally-test',
      username: 'tally-director',
      role: 'him-director',
      purpose: 'HOPERAT',
      sourceAddress: 'test',
      tokenId: 'tally-test',
      brokenGlassPatients: [],
    };
    store = new FhirStore(db, ctx);
    // t-c8 deleted: its index rows go with it.
    const deleted = records.find((r) => r.id === 't-c8') as Resource & { id: string };
    await db.transaction((tx) =>
      writeVersions(tx, [{ resource: deleted, previousVersion: 1, deleted: true }]),
    );
    glass = new FhirStore(db, { ...ctx, brokenGlassPatients: ['t-p2'] });
  });
  afterAll(() => db.close());

  it('counts visible matches per code, largest first, with the null group and a display per code', async () => {
    const rows = await tallyRecords(store, {
      type: 'Condition',
      where: [{ param: 'recorded-date', date: '2025-01-01', prefix: 'ge' }],
      by: [{ token: 'code', system: ICD10CM }],
    });
    expect(rows).toEqual([
      { keys: ['E11.9'], labels: ['diabetes'], count: 2 },
      { keys: ['I10'], labels: ['hypertension'], count: 2 },
      { keys: [null], labels: [null], count: 1 },
    ]);
  });

  it('answers the same when told the matches are few (probed one by one, not scanned by slice)', async () => {
    const spec = {
      type: 'Condition',
      where: [{ param: 'recorded-date', date: '2025-01-01', prefix: 'ge' as const }],
      by: [
        { token: 'code', system: ICD10CM },
        { date: 'recorded-date', unit: 'month' as const },
      ],
    };
    const sliced = await tallyRecords(store, spec);
    expect(sliced.length).toBeGreaterThan(1);
    expect(await tallyRecords(store, { ...spec, few: true })).toEqual(sliced);
  });

  it('groups by a date key too', async () => {
    const rows = await tallyRecords(store, {
      type: 'Condition',
      by: [{ date: 'recorded-date', unit: 'month' }],
    });
    expect(rows).toEqual([
      { keys: ['2025-03'], labels: [null], count: 4 },
      { keys: ['2024-12'], labels: [null], count: 1 },
    ]);
  });

  it("counts from a date's slice (a range on a one-valued date) exactly what it counts from the records", async () => {
    const spec = {
      type: 'Condition',
      where: [
        { param: 'recorded-date', date: '2025-01-01', prefix: 'ge' as const },
        { param: 'recorded-date', date: '2025-12-31', prefix: 'le' as const },
      ],
      by: [{ token: 'code', system: ICD10CM }],
    };
    const expected = [
      { keys: ['E11.9'], labels: ['diabetes'], count: 2 },
      { keys: ['I10'], labels: ['hypertension'], count: 2 },
      { keys: [null], labels: [null], count: 1 },
    ];
    // Neither the deleted record, nor the labelled one, nor the restricted patient's.
    expect(await tallyRecords(store, spec)).toEqual(expected);
    expect(await tallyRecords(store, { ...spec, few: true })).toEqual(expected);
    // A criterion on the record's own column (_lastUpdated) reads the records themselves.
    const updated = { param: '_lastUpdated', date: '2000-01-01', prefix: 'ge' as const };
    expect(await tallyRecords(store, { ...spec, where: [...spec.where, updated] })).toEqual(expected);
    // With the glass broken for t-p2, its record counts; the labelled record stays hidden.
    const broken = [
      { keys: ['E11.9'], labels: ['diabetes'], count: 2 },
      { keys: ['I10'], labels: ['hypertension'], count: 2 },
      { keys: ['J18.9'], labels: ['pneumonia'], count: 1 },
      { keys: [null], labels: [null], count: 1 },
    ];
    expect(await tallyRecords(glass, spec)).toEqual(broken);
    expect(await tallyRecords(glass, { ...spec, few: true })).toEqual(broken);
    // Grouped by the same date: the slice is the key too.
    expect(
      await tallyRecords(glass, { ...spec, by: [{ date: 'recorded-date', unit: 'month' as const }] }),
    ).toEqual([{ keys: ['2025-03'], labels: [null], count: 5 }]);
  });
});
