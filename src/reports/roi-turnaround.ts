import type { Task } from '@medplum/fhirtypes';
import type { Criterion } from '../fhir/search/typed.ts';
import { daysBetween, monthsOf, type Cell, type ReportDefinition } from './definition.ts';
import { ROI_OUTPUT_SYSTEM, ROI_STATUS_SYSTEM, ROI_TASK, TASK_SYSTEM } from './record-terms.ts';

/**
 * Release-of-information turnaround: requests fulfilled (released) in the range, by month of
 * release: how many, the median and 90th percentile of calendar days from received to released,
 * and how many were released after their due date (30 days, or the extended due date; the ROI
 * module keeps the current due date in Task.restriction.period.end). The release time is a Task
 * output no index holds, so the report reads the requests changed since `from`: ROI volume is a
 * few hundred a month, not the encounters' hundreds of thousands.
 */

interface Fulfilled {
  day: string;
  month: string;
  days: number;
  late: boolean;
}

function fulfilled(task: Task): Fulfilled | undefined {
  const releasedAt = task.output?.find((o) =>
    o.type.coding?.some((c) => c.system === ROI_OUTPUT_SYSTEM && c.code === 'released-at'),
  )?.valueDateTime;
  const received = task.authoredOn?.slice(0, 10);
  if (!releasedAt || !received) return undefined;
  const released = releasedAt.slice(0, 10);
  const due = task.restriction?.period?.end?.slice(0, 10);
  return {
    day: released,
    month: released.slice(0, 7),
    days: daysBetween(received, released),
    late: !!due && released > due,
  };
}

/** The nearest-rank percentile of sorted values (p in 0..1). */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? null;
}

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
      { param: 'modified', date: params.from, prefix: 'ge' },
    ];
    const { matches } = await store.findAll({ type: 'Task', where, count: 1000 });
    const byMonth = new Map<string, Fulfilled[]>();
    for (const task of matches as Task[]) {
      const f = fulfilled(task);
      if (!f || f.day < params.from || f.day > params.to) continue;
      byMonth.set(f.month, [...(byMonth.get(f.month) ?? []), f]);
    }
    return monthsOf(params.from, params.to)
      .filter((month) => byMonth.has(month))
      .map((month): Cell[] => {
        const all = byMonth.get(month) ?? [];
        const days = all.map((f) => f.days).sort((a, b) => a - b);
        return [
          month,
          all.length,
          percentile(days, 0.5),
          percentile(days, 0.9),
          all.filter((f) => f.late).length,
        ];
      });
  },
};
