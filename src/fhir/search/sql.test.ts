import type { DetectedIssue, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../../cli/context.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../testing/test-db.ts';
import { FhirStore } from '../store.ts';
import { writeVersions } from '../unchecked-storage.ts';

interface PlanNode {
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows a plan read and threw away by filter, over all its nodes. */
const rowsFilteredOut = (node: PlanNode): number =>
  (node['Rows Removed by Filter'] ?? 0) + (node.Plans ?? []).reduce((n, p) => n + rowsFilteredOut(p), 0);

describe('sort keys (sortColumns)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it("reads each record's own sort value, not its whole slice once per record", async () => {
    // A date parameter dense in its type and rare in the index as a whole (a coding edit's
    // `identified` among every patient's birth date): the planner, multiplying the frequencies
    // of type and parameter, takes the slice for a few rows.
    const patients = Array.from({ length: 30000 }, (_, i) => ({
      resource: {
        resourceType: 'Patient' as const,
        id: `sort-p-${i}`,
        birthDate: `19${String(10 + (i % 90))}-0${1 + (i % 9)}-1${i % 10}`,
      } satisfies Patient & { id: string },
      previousVersion: 0,
      deleted: false,
    }));
    const issues = Array.from({ length: 300 }, (_, i) => ({
      resource: {
        resourceType: 'DetectedIssue' as const,
        id: `sort-di-${i}`,
        status: 'final' as const,
        identifiedDateTime: `2025-0${1 + (i % 9)}-1${i % 10}T10:00:00Z`,
      } satisfies DetectedIssue & { id: string },
      previousVersion: 0,
      deleted: false,
    }));
    for (let from = 0; from < patients.length; from += 5000)
      await db.transaction((tx) => writeVersions(tx, patients.slice(from, from + 5000)));
    await db.transaction((tx) => writeVersions(tx, issues));
    // Vacuumed, as a server's autovacuum leaves it: the lookup index then answers without the heap.
    await db.query('VACUUM ANALYZE');

    // The search as a screen makes it, its page statement kept to see how the database ran it.
    const asked: Array<{ sql: string; params: readonly unknown[] }> = [];
    const watched = new Proxy(db, {
      get(target, key, receiver) {
        if (key === 'query')
          return (sql: string, params?: readonly unknown[], options?: object) => {
            asked.push({ sql, params: params ?? [] });
            return target.query(sql, params, options);
          };
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const bundle = await new FhirStore(watched, cliContext()).search(
      'DetectedIssue',
      new URLSearchParams('_sort=identified&_count=20'),
      { lenient: false },
    );
    const dates = (bundle.entry ?? []).map((e) => (e.resource as DetectedIssue).identifiedDateTime ?? '');
    expect(dates).toHaveLength(20);
    expect(dates).toEqual([...dates].sort());

    const page = asked.find((q) => q.sql.includes('ORDER BY') && q.sql.includes('search_date'));
    if (!page) throw new Error('no sorted page statement');
    const explained = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${page.sql}`,
      page.params,
    );
    const plan = explained.rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (!plan) throw new Error('no plan');
    expect(rowsFilteredOut(plan)).toBe(0);
  });
});
