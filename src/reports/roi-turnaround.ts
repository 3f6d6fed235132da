import { aggregateRecords } from '../fhir/aggregate.ts';
import type { Criterion } from '../fhir/search/typed.ts';
import { endsWithin, monthsOf, type Cell, type ReportDefinition } from './definition.ts';
import { ROI_STATUS_SYSTEM, ROI_TASK, TASK_SYSTEM } from './record-terms.ts';

/**
 * Release-of-information turnaround: requests fulfilled (released) in the range, by month of
 * release: how many, the median and 90th percentile of calendar days from received to released,
 * and how many were released after their due date (30 days, or the extended due date). All in
 * the database: the ROI module (src/disclosure) keeps the received date in Task.authoredOn, the
 * release time in Task.executionPeriod.end (`period`) and the current due date in
 * Task.restriction.period.end (`restriction-period`), all indexed.
 */

/** Whole UTC days from received to released. */
const TURNAROUND = { from: { date: 'authored-on' }, to: { date: 'period', end: true } };
/** Whole UTC days from the due date to the release: more than 0 is late. */
const PAST_DUE = { from: { date: 'restriction-period', end: true }, to: { date: 'period', end: true } };

export const roiTurnaround: ReportDefinition = {
  name: 'roi-turnaround',
  title: 'Release of information turnaround',
  description:
    'Requests released in the range, by month of release: count, median and 90th percentile days from received ' +
    'to released, and how many were released after their due date (30 days, or the extended due date).',
  audience: 'OperationsReport',
  columns: [
    { name: 'month', label: 'Month', type: 'month' },
    { name: 'released', label: 'Released', type: 'number' },
    { name: 'medianDays', label: 'Median days', type: 'number' },
    { name: 'p90Days', label: '90th percentile days', type: 'number' },
    { name: 'late', label: 'Past the legal clock', type: 'number' },
  ],
  filters: {},
  defaultDays: 364,
  async run({ store }, params) {
    const where: Criterion[] = [
      { param: 'code', tokens: [{ system: TASK_SYSTEM, code: ROI_TASK }] },
      // Released, or closed after the release: both carry the release time.
      {
        param: 'business-status',
        tokens: [
          { system: ROI_STATUS_SYSTEM, code: 'released' },
          { system: ROI_STATUS_SYSTEM, code: 'closed' },
        ],
      },
      ...endsWithin('period', params.from, params.to),
    ];
    const rows = await aggregateRecords(store, {
      type: 'Task',
      where,
      by: [{ date: 'period', unit: 'month', end: true }],
      measures: [
        { percentile: 0.5, days: TURNAROUND },
        { percentile: 0.9, days: TURNAROUND },
        { countOver: 0, days: PAST_DUE },
      ],
    });
    const byMonth = new Map(rows.map((r) => [r.keys[0], r]));
    return monthsOf(params.from, params.to).flatMap((month): Cell[][] => {
      const row = byMonth.get(month);
      return row
        ? [[month, row.count, row.values[0] ?? null, row.values[1] ?? null, row.values[2] ?? 0]]
        : [];
    });
  },
};
