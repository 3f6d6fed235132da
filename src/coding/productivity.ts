import type { Task } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { dischargeOf, eventsOf, TASK_CODE, TASK_SYSTEM } from './work-item.ts';

/**
 * Coder productivity from the work items' event logs: per coder and UTC day, the encounters coded
 * (saved at least once that day), the encounters finalized, and the mean turnaround of those
 * finalized (discharge to final, hours). A Task whose lastModified is before `from` has no event
 * in the range, so one indexed search on `modified` finds every work item that matters.
 */

export interface ProductivityRow {
  coder: string;
  day: string;
  coded: number;
  finalized: number;
  /** Mean hours from discharge to final over the day's finalized encounters; null when none. */
  meanTurnaroundHours: number | null;
}

export interface Productivity {
  from: string;
  to: string;
  rows: ProductivityRow[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;

export function parseRange(
  from: string | undefined,
  to: string | undefined,
  today = new Date(),
): { from: string; to: string } {
  const end = to ?? today.toISOString().slice(0, 10);
  const start = from ?? new Date(Date.parse(end) - 29 * 86_400_000).toISOString().slice(0, 10);
  for (const [name, value] of [
    ['from', start],
    ['to', end],
  ] as const) {
    if (!DATE.test(value) || Number.isNaN(Date.parse(value)))
      throw badRequest(`${name} must be a date as YYYY-MM-DD`, [name]);
  }
  if (end < start) throw badRequest('to is before from', ['to']);
  if ((Date.parse(end) - Date.parse(start)) / 86_400_000 > MAX_DAYS)
    throw badRequest(`the range may span at most ${MAX_DAYS} days`, ['from']);
  return { from: start, to: end };
}

/** Every work item modified on or after `from`, however many pages that takes. */
async function tasksModifiedSince(store: FhirStore, from: string): Promise<Task[]> {
  const { matches } = await store.findAll(
    {
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: TASK_CODE }] },
        { param: 'modified', date: from, prefix: 'ge' },
      ],
      count: 1000,
    },
    Number.POSITIVE_INFINITY,
  );
  return matches.filter((r): r is Task => r.resourceType === 'Task');
}

export async function codingProductivity(
  store: FhirStore,
  range: { from: string; to: string },
): Promise<Productivity> {
  const tasks = await tasksModifiedSince(store, range.from);
  const rows = new Map<string, { coded: Set<string>; finalized: number; hours: number[] }>();
  const row = (coder: string, day: string) => {
    const key = `${coder}\u0000${day}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { coded: new Set(), finalized: 0, hours: [] }));
    return r;
  };
  for (const task of tasks) {
    const discharge = dischargeOf(task);
    const encounter = task.focus?.reference ?? task.id ?? '';
    for (const ev of eventsOf(task)) {
      const day = ev.time.slice(0, 10);
      if (!ev.coder || day < range.from || day > range.to) continue;
      const r = row(ev.coder, day);
      if (ev.action === 'coded') r.coded.add(encounter);
      else {
        r.finalized += 1;
        if (discharge) r.hours.push((Date.parse(ev.time) - Date.parse(discharge)) / 3_600_000);
      }
    }
  }
  const out: ProductivityRow[] = [...rows.entries()].map(([key, r]) => {
    const [coder = '', day = ''] = key.split('\u0000');
    const mean = r.hours.length ? r.hours.reduce((a, b) => a + b, 0) / r.hours.length : null;
    return {
      coder,
      day,
      coded: r.coded.size,
      finalized: r.finalized,
      meanTurnaroundHours: mean === null ? null : Math.round(mean * 10) / 10,
    };
  });
  out.sort((a, b) => a.day.localeCompare(b.day) || a.coder.localeCompare(b.coder));
  return { ...range, rows: out };
}
