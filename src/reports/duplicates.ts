import { tallyRecords } from '../fhir/tally.ts';
import { monthsOf, type Cell, type ReportDefinition } from './definition.ts';
import { DUPLICATE_REVIEW_TASK, TASK_SYSTEM } from './record-terms.ts';

/** Task statuses that keep a duplicate pair on the MPI worklist (src/mpi). */
const OPEN = new Set(['requested', 'ready', 'in-progress']);

interface MonthCount {
  month: string;
  n: number;
}

/**
 * The MPI's duplicate rate per month: pairs flagged for review (their Tasks, by authoredOn) and
 * how many of those are still open, merges done (less those undone), and pairs decided not to be
 * duplicates. Flags per 1,000 live patients gives the rate sites compare against.
 */
export const duplicateRate: ReportDefinition = {
  name: 'duplicate-rate',
  title: 'Duplicate record rate',
  description:
    'Per month: possible duplicate pairs flagged, still open, merged, decided not duplicate; flagged per 1,000 patients.',
  audience: 'OperationsReport',
  columns: [
    { name: 'month', label: 'Month', type: 'month' },
    { name: 'flagged', label: 'Pairs flagged', type: 'number' },
    { name: 'open', label: 'Still open', type: 'number' },
    { name: 'merged', label: 'Merged', type: 'number' },
    { name: 'notDuplicate', label: 'Not duplicates', type: 'number' },
    { name: 'flaggedPer1000Patients', label: 'Flagged per 1,000 patients', type: 'number' },
  ],
  filters: {},
  defaultDays: 364,
  async run({ db, store }, params) {
    const tasks = await tallyRecords(store, {
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: DUPLICATE_REVIEW_TASK }] },
        { param: 'authored-on', date: params.from, prefix: 'ge' },
        { param: 'authored-on', date: params.to, prefix: 'le' },
      ],
      by: [{ date: 'authored-on', unit: 'month' }, { token: 'status' }],
      // One patient in fifty or fewer is flagged in a year: a few thousand of the many Tasks.
      few: true,
    });
    const patients = await store.count({
      type: 'Patient',
      where: [{ param: 'active', tokens: [{ code: 'false' }], not: true }],
    });
    // The MPI's decision tables (src/db/migrations/0301_mpi.sql): when a merge or a "not a
    // duplicate" decision was made. Only counts leave them.
    const range = [params.from, params.to];
    const merged = await db.query<MonthCount>(
      `SELECT to_char(merged_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::int AS n FROM mpi_merge
        WHERE unmerged_at IS NULL AND merged_at >= $1::date AND merged_at < $2::date + 1 GROUP BY 1`,
      range,
    );
    const distinct = await db.query<MonthCount>(
      `SELECT to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::int AS n FROM mpi_not_duplicate
        WHERE decided_at >= $1::date AND decided_at < $2::date + 1 GROUP BY 1`,
      range,
    );
    const byMonth = new Map(
      monthsOf(params.from, params.to).map((m) => [m, { flagged: 0, open: 0, merged: 0, notDuplicate: 0 }]),
    );
    for (const r of tasks) {
      const line = byMonth.get(r.keys[0] ?? '');
      if (!line) continue;
      line.flagged += r.count;
      if (OPEN.has(r.keys[1] ?? '')) line.open += r.count;
    }
    for (const r of merged.rows) {
      const line = byMonth.get(r.month);
      if (line) line.merged += Number(r.n);
    }
    for (const r of distinct.rows) {
      const line = byMonth.get(r.month);
      if (line) line.notDuplicate += Number(r.n);
    }
    return [...byMonth.entries()].map(([month, l]): Cell[] => [
      month,
      l.flagged,
      l.open,
      l.merged,
      l.notDuplicate,
      patients > 0 ? Math.round((l.flagged / patients) * 1000 * 100) / 100 : 0,
    ]);
  },
};
