import type { Extension, Task } from '@medplum/fhirtypes';
import type { Criterion } from '../fhir/search/typed.ts';
import type { Cell, ReportDefinition } from './definition.ts';
import { CODING_OVERRIDE_URL, CODING_TASK, TASK_SYSTEM } from './record-terms.ts';

/**
 * Coding quality: the edits coders overrode (with a reason) to finalize a case, by edit kind and
 * coder. The coding workflow keeps each override on the case's work item (a Task extension with
 * kind, codes, reason, coder and time; src/coding README), which no search index holds, so this
 * report reads the work items touched since `from`: finalized cases, a fraction of the
 * encounters, where the tallies of the other reports count every encounter.
 */

interface OverrideSeen {
  kind: string;
  coder: string;
  time: string;
}

function sub(e: Extension, url: string): Extension | undefined {
  return e.extension?.find((x) => x.url === url);
}

function overridesOf(task: Task): OverrideSeen[] {
  return (task.extension ?? [])
    .filter((e) => e.url === CODING_OVERRIDE_URL)
    .map((e) => ({
      kind: sub(e, 'kind')?.valueCode ?? 'unknown',
      coder: sub(e, 'coder')?.valueString ?? 'unknown',
      time: sub(e, 'time')?.valueDateTime ?? '',
    }));
}

export const codingQuality: ReportDefinition = {
  name: 'coding-quality',
  title: 'Coding quality: edits overridden',
  description:
    'Coding edits overridden with a reason when the case was finalized in the range, by edit kind and coder: ' +
    'overrides, and the cases they were given on.',
  audience: 'OperationsReport',
  columns: [
    { name: 'kind', label: 'Edit kind', type: 'text' },
    { name: 'coder', label: 'Coder', type: 'text' },
    { name: 'overrides', label: 'Overrides', type: 'number' },
    { name: 'cases', label: 'Cases', type: 'number' },
  ],
  filters: { coder: 'user name of one coder' },
  defaultDays: 29,
  async run({ store }, params) {
    // A case's work item changes whenever the case does, so one finalized in the range was
    // last modified on or after `from`.
    const where: Criterion[] = [
      { param: 'code', tokens: [{ system: TASK_SYSTEM, code: CODING_TASK }] },
      { param: 'modified', date: params.from, prefix: 'ge' },
    ];
    const { matches } = await store.findAll({ type: 'Task', where, count: 1000 });
    const lines = new Map<string, { kind: string; coder: string; overrides: number; cases: Set<string> }>();
    for (const task of matches as Task[]) {
      for (const o of overridesOf(task)) {
        const day = o.time.slice(0, 10);
        if (day < params.from || day > params.to) continue;
        if (params.filters.coder && o.coder !== params.filters.coder) continue;
        const key = `${o.kind}\u0000${o.coder}`;
        const line = lines.get(key) ?? {
          kind: o.kind,
          coder: o.coder,
          overrides: 0,
          cases: new Set<string>(),
        };
        line.overrides += 1;
        line.cases.add(task.id ?? '');
        lines.set(key, line);
      }
    }
    return [...lines.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.coder.localeCompare(b.coder))
      .map((l): Cell[] => [l.kind, l.coder, l.overrides, l.cases.size]);
  },
};
