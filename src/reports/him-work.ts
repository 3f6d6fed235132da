import { tallyRecords } from '../fhir/tally.ts';
import { monthsOf, type Cell, type ReportDefinition } from './definition.ts';
import {
  DEFICIENCY_KIND_SYSTEM,
  DEFICIENCY_TASK,
  ROI_STATUS_SYSTEM,
  ROI_TASK,
  TASK_SYSTEM,
} from './record-terms.ts';

/** HIM work queues other modules keep as Tasks: release of information and chart deficiencies. */

export const roiVolume: ReportDefinition = {
  name: 'roi-volume',
  title: 'Release of information volume',
  description: 'Requests logged per month (Task.authoredOn) by their current ROI status.',
  audience: 'OperationsReport',
  columns: [
    { name: 'month', label: 'Month', type: 'month' },
    { name: 'status', label: 'Status', type: 'text' },
    { name: 'requests', label: 'Requests', type: 'number' },
  ],
  filters: {},
  defaultDays: 364,
  async run({ store }, params) {
    const rows = await tallyRecords(store, {
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: ROI_TASK }] },
        { param: 'authored-on', date: params.from, prefix: 'ge' },
        { param: 'authored-on', date: params.to, prefix: 'le' },
      ],
      by: [
        { date: 'authored-on', unit: 'month' },
        { token: 'business-status', system: ROI_STATUS_SYSTEM },
      ],
    });
    const months = monthsOf(params.from, params.to);
    return rows
      .filter((r) => r.keys[0] && months.includes(r.keys[0]))
      .map((r): Cell[] => [r.keys[0] ?? '', r.keys[1] ?? 'unknown', r.count])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
  },
};

export const chartDeficiencies: ReportDefinition = {
  name: 'chart-deficiencies',
  title: 'Chart deficiencies',
  description:
    'Deficiencies raised in the range (Task.authoredOn) by kind: still open, completed, and closed otherwise (waived, not required).',
  audience: 'OperationsReport',
  columns: [
    { name: 'kind', label: 'Kind', type: 'text' },
    { name: 'open', label: 'Open', type: 'number' },
    { name: 'completed', label: 'Completed', type: 'number' },
    { name: 'closed', label: 'Waived or not required', type: 'number' },
  ],
  filters: {},
  defaultDays: 89,
  async run({ store }, params) {
    const rows = await tallyRecords(store, {
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: DEFICIENCY_TASK }] },
        { param: 'authored-on', date: params.from, prefix: 'ge' },
        { param: 'authored-on', date: params.to, prefix: 'le' },
      ],
      by: [{ token: 'business-status', system: DEFICIENCY_KIND_SYSTEM }, { token: 'status' }],
    });
    const kinds = new Map<string, { open: number; completed: number; closed: number }>();
    for (const r of rows) {
      const kind = r.keys[0] ?? 'unknown';
      const k = kinds.get(kind) ?? { open: 0, completed: 0, closed: 0 };
      if (r.keys[1] === 'completed') k.completed += r.count;
      else if (r.keys[1] === 'cancelled') k.closed += r.count;
      else k.open += r.count;
      kinds.set(kind, k);
    }
    return [...kinds.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([kind, k]): Cell[] => [kind, k.open, k.completed, k.closed]);
  },
};
