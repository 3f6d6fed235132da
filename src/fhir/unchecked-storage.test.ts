import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { isOutcomeError } from './outcomes.ts';
import { changedRecords, readCurrent, writeVersions } from './unchecked-storage.ts';

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

describe('changedRecords (the change feed background work follows)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => {
    await db.close();
  });

  /** Rows a plan read and threw away by filter, over all its nodes. */
  const rowsFilteredOut = (node: PlanNode): number =>
    (node['Rows Removed by Filter'] ?? 0) + (node.Plans ?? []).reduce((n, p) => n + rowsFilteredOut(p), 0);

  it("polls a type after its last change without stepping over other types' records written since", async () => {
    const write = (type: 'Encounter' | 'Basic', from: number, count: number) =>
      db.transaction((tx) =>
        writeVersions(
          tx,
          Array.from({ length: count }, (_, i) => ({
            resource:
              type === 'Encounter'
                ? {
                    resourceType: 'Encounter' as const,
                    id: `feed-enc-${from + i}`,
                    status: 'finished' as const,
                    class: { code: 'IMP' },
                  }
                : {
                    resourceType: 'Basic' as const,
                    id: `feed-basic-${from + i}`,
                    code: { text: 'other work' },
                  },
            previousVersion: 0,
            deleted: false,
          })),
        ),
      );
    for (let batch = 0; batch < 10; batch++) await write('Encounter', batch * 100, 100);
    // A busy store: far more records of other types (audit events, tasks) after the last encounter.
    for (let batch = 0; batch < 20; batch++) await write('Basic', batch * 500, 500);
    await db.query('ANALYZE fhir_resource');
    const last = await db.query<{ id: string; last_updated: Date | string }>(
      `SELECT id, last_updated FROM fhir_resource WHERE resource_type = 'Encounter' ORDER BY last_updated DESC, id DESC LIMIT 1`,
    );
    const after = {
      lastUpdated: new Date(last.rows[0]?.last_updated ?? 0).toISOString(),
      id: last.rows[0]?.id ?? '',
    };

    // The poll the watchers make, its statement kept to see how the database ran it.
    const asked: Array<{ sql: string; params: readonly unknown[] }> = [];
    const watching: Queryable = {
      query: (sql, params, options) => {
        asked.push({ sql, params: params ?? [] });
        return db.query(sql, params, options);
      },
    };
    expect(await changedRecords(watching, 'Encounter', after, 500)).toEqual([]);
    expect(asked).toHaveLength(1);
    const [poll] = asked;
    const explained = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${poll?.sql ?? ''}`,
      poll?.params,
    );
    const plan = explained.rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (!plan) throw new Error('no plan');
    // Answered from the type's own slice of the change index, not by reading the 10,000 others.
    expect(rowsFilteredOut(plan)).toBe(0);
  });
});

interface PlanNode {
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}
