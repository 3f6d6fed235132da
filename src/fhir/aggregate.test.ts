import type { Encounter, Resource, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { aggregateRecords, type AggregateSpec } from './aggregate.ts';
import { isOutcomeError } from './outcomes.ts';
import type { RequestContext } from './request-context.ts';
import { FhirStore } from './store.ts';
import { writeVersions } from './unchecked-storage.ts';

const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };
const CHARGES = 'urn:custodian:fhir:total-charges';

const visit = (
  id: string,
  cls: string,
  charges?: number,
  extra: Partial<Encounter> = {},
): Encounter & { id: string } => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
  subject: { reference: 'Patient/ag-p1' },
  ...(charges !== undefined
    ? { extension: [{ url: CHARGES, valueMoney: { value: charges, currency: 'USD' } }] }
    : {}),
  ...extra,
});

/** A request received on `received`, done at `done` (none: still open), due on `due`. */
const request = (
  id: string,
  received: string,
  done: string | undefined,
  due: string,
): Task & { id: string } => ({
  resourceType: 'Task',
  id,
  status: done ? 'completed' : 'in-progress',
  intent: 'order',
  for: { reference: 'Patient/ag-p1' },
  authoredOn: received,
  restriction: { period: { end: due } },
  ...(done ? { executionPeriod: { end: done } } : {}),
});

/** What an aggregate answers: a tally's groups, and per group sums, percentiles and counts over. */
describe('aggregateRecords', () => {
  let db: Db;
  let store: FhirStore;

  beforeAll(async () => {
    db = await openTestDb();
    const records: Array<Resource & { id: string }> = [
      { resourceType: 'Patient', id: 'ag-p1' },
      visit('ag-e1', 'IMP', 100.5),
      // The same type code under two systems: one record of its group, summed once.
      visit('ag-e2', 'IMP', 200.25, {
        type: [
          {
            coding: [
              { system: 'urn:a', code: 'X' },
              { system: 'urn:b', code: 'X' },
            ],
          },
        ],
      }),
      visit('ag-e3', 'AMB', 50),
      visit('ag-e4', 'AMB'),
      // Hidden from the director by its label: neither counted nor summed.
      visit('ag-e5', 'IMP', 1000, { meta: { security: [RESTRICTED] } }),
      // April, three spans: 1, 3, 10 days (the 10-day one past its due date).
      request('ag-t1', '2025-04-01', '2025-04-04T09:00:00Z', '2025-05-01'),
      request('ag-t2', '2025-04-10', '2025-04-20T23:30:00Z', '2025-04-15'),
      request('ag-t3', '2025-04-15', '2025-04-16T00:10:00Z', '2025-05-15'),
      // May, four spans: 2, 4, 6, 8 days; the 8-day one done on its due date (not over).
      request('ag-t4', '2025-05-01', '2025-05-03T10:00:00Z', '2025-05-31'),
      request('ag-t5', '2025-05-01', '2025-05-05T10:00:00Z', '2025-05-31'),
      request('ag-t6', '2025-05-01', '2025-05-07T10:00:00Z', '2025-05-31'),
      request('ag-t7', '2025-05-01', '2025-05-09T10:00:00Z', '2025-05-09'),
      // Still open: the null group, no span.
      request('ag-t8', '2025-05-20', undefined, '2025-06-19'),
    ];
    await db.transaction((tx) =>
      writeVersions(
        tx,
        records.map((resource) => ({ resource, previousVersion: 0, deleted: false })),
      ),
    );
    const ctx: RequestContext = {
      userId: 'aggregate-test',
      username: 'aggregate-director',
      role: 'him-director',
      purpose: 'HOPERAT',
      sourceAddress: 'test',
      tokenId: 'aggregate-test',
      brokenGlassPatients: [],
    };
    store = new FhirStore(db, ctx);
  });
  afterAll(() => db.close());

  it("sums a money parameter per group, a record once per group, the caller's visible records only", async () => {
    const byClass = await aggregateRecords(store, {
      type: 'Encounter',
      by: [{ token: 'class' }],
      measures: [{ sum: 'total-charges' }],
    });
    expect(byClass).toEqual([
      { keys: ['AMB'], count: 2, values: [50] },
      { keys: ['IMP'], count: 2, values: [300.75] },
    ]);
    const byType = await aggregateRecords(store, {
      type: 'Encounter',
      where: [{ param: 'class', tokens: [{ code: 'IMP' }] }],
      by: [{ token: 'type' }],
      measures: [{ sum: 'total-charges' }],
    });
    expect(byType).toEqual([
      { keys: ['X'], count: 1, values: [200.25] },
      { keys: [null], count: 1, values: [100.5] },
    ]);
  });

  it('takes nearest-rank percentiles of day spans (odd and even counts) and counts spans over a limit', async () => {
    const days = { from: { date: 'authored-on' }, to: { date: 'period', end: true } };
    const late = { from: { date: 'restriction-period', end: true }, to: { date: 'period', end: true } };
    const byMonth: AggregateSpec = {
      type: 'Task',
      by: [{ date: 'period', unit: 'month', end: true }],
      measures: [
        { percentile: 0.5, days },
        { percentile: 0.9, days },
        { countOver: 0, days: late },
      ],
    };
    const rows = await aggregateRecords(store, byMonth);
    expect(rows).toEqual([
      // 2, 4, 6, 8: the median is the 2nd value, the 90th percentile the 4th.
      { keys: ['2025-05'], count: 4, values: [4, 8, 0] },
      // 1, 3, 10: the 2nd and the 3rd (UTC days: received Apr 10, done Apr 20 at 23:30Z).
      { keys: ['2025-04'], count: 3, values: [3, 10, 1] },
      { keys: [null], count: 1, values: [null, null, 0] },
    ]);
    // Requests received in May, from the received date's index slice (tally.ts, groupSource):
    // the same figures as May's group above, and the still-open one.
    const may = await aggregateRecords(store, {
      ...byMonth,
      where: [
        { param: 'authored-on', date: '2025-05-01', prefix: 'ge' },
        { param: 'authored-on', date: '2025-05-31', prefix: 'le' },
      ],
    });
    expect(may).toEqual([
      { keys: ['2025-05'], count: 4, values: [4, 8, 0] },
      { keys: [null], count: 1, values: [null, null, 0] },
    ]);
  });

  it('refuses a measure on a parameter of the wrong kind, or a percentile outside 0..1', async () => {
    const refused = async (run: Promise<unknown>): Promise<string> => {
      const err = await run.catch((e: unknown) => e);
      return isOutcomeError(err) ? JSON.stringify(err.outcome) : String(err);
    };
    expect(
      await refused(
        aggregateRecords(store, {
          type: 'Encounter',
          by: [{ token: 'class' }],
          measures: [{ sum: 'status' }],
        }),
      ),
    ).toContain('status is not a number or quantity parameter of Encounter');
    const days = { from: { date: 'authored-on' }, to: { date: 'period', end: true } };
    expect(
      await refused(
        aggregateRecords(store, {
          type: 'Task',
          by: [{ token: 'status' }],
          measures: [{ percentile: 1.5, days }],
        }),
      ),
    ).toContain('A percentile is between 0 and 1');
  });
});
