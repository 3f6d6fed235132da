import type { Criterion } from '../fhir/search/typed.ts';
import { aggregateRecords } from '../fhir/aggregate.ts';
import { tallyRecords } from '../fhir/tally.ts';
import {
  daysBetween,
  endsWithin,
  type Cell,
  type ReportDefinition,
  type ReportParams,
} from './definition.ts';
import { ENCOUNTER_FILTERS, encounterWhere, tallyEach } from './encounter-filters.ts';
import { CODING_STATE_SYSTEM, CODING_TASK, TASK_SYSTEM } from './record-terms.ts';

/** DNFB age buckets in whole days since discharge, as HIM directors track them. */
export const DNFB_BUCKETS: ReadonlyArray<{ label: string; min: number; max: number }> = [
  { label: '0-3 days', min: 0, max: 3 },
  { label: '4-7 days', min: 4, max: 7 },
  { label: '8-14 days', min: 8, max: 14 },
  { label: '15-30 days', min: 15, max: 30 },
  { label: 'over 30 days', min: 31, max: Number.MAX_SAFE_INTEGER },
];

/** Discharged encounters whose coding is not final: the coder's worklist, the DNFB. */
function notFinal(params: ReportParams): Criterion[] {
  const where: Criterion[] = [
    { param: 'status', tokens: [{ code: 'finished' }] },
    { param: '_tag', tokens: [{ system: CODING_STATE_SYSTEM, code: 'final' }], not: true },
  ];
  if (params.filters.class) where.push({ param: 'class', tokens: [{ code: params.filters.class }] });
  return where;
}

export const dnfb: ReportDefinition = {
  name: 'dnfb',
  title: 'Discharged, not final billed',
  description:
    'Encounters discharged between from and to whose coding is not final (no bill can drop), by ' +
    'days since discharge as of to; their total charges, and the oldest discharge of each bucket.',
  audience: 'OperationsReport',
  columns: [
    { name: 'bucket', label: 'Days since discharge', type: 'text' },
    { name: 'encounters', label: 'Encounters', type: 'number' },
    { name: 'oldestDischarge', label: 'Oldest discharge', type: 'date' },
    { name: 'charges', label: 'Charges (USD)', type: 'number' },
  ],
  filters: { class: 'Encounter class code (IMP, EMER, AMB...)', ...ENCOUNTER_FILTERS },
  defaultDays: 365,
  async run({ store }, params) {
    const buckets = DNFB_BUCKETS.map((b) => ({ ...b, count: 0, oldest: null as string | null, charges: 0 }));
    // Per discharge day, in the database: the encounters and the sum of their charges (the
    // charge capture's extension, indexed as total-charges); at most a range's days come back.
    const where = [...notFinal(params), ...endsWithin('date', params.from, params.to)];
    for (const set of await encounterWhere(store, params)) {
      const byDay = await aggregateRecords(store, {
        type: 'Encounter',
        where: [...where, ...set],
        by: [{ date: 'date', unit: 'day', end: true }],
        measures: [{ sum: 'total-charges' }],
      });
      for (const row of byDay) {
        const discharged = row.keys[0];
        if (!discharged) continue;
        const age = daysBetween(discharged, params.to);
        const bucket = buckets.find((b) => age >= b.min && age <= b.max);
        if (!bucket) continue;
        bucket.count += row.count;
        bucket.charges += row.values[0] ?? 0;
        if (!bucket.oldest || discharged < bucket.oldest) bucket.oldest = discharged;
      }
    }
    return buckets.map((b): Cell[] => [b.label, b.count, b.oldest, Math.round(b.charges * 100) / 100]);
  },
};

export const codingBacklog: ReportDefinition = {
  name: 'coding-backlog',
  title: 'Coding backlog',
  description:
    'Discharged encounters not final, by coding state (uncoded, coded awaiting final) and encounter class.',
  audience: 'OperationsReport',
  columns: [
    { name: 'state', label: 'Coding state', type: 'text' },
    { name: 'class', label: 'Encounter class', type: 'text' },
    { name: 'encounters', label: 'Encounters', type: 'number' },
  ],
  filters: { class: 'Encounter class code', ...ENCOUNTER_FILTERS },
  defaultDays: 365,
  async run({ store }, params) {
    const rows = await tallyEach(
      store,
      {
        type: 'Encounter',
        where: [
          ...notFinal(params),
          { param: 'date', date: params.from, prefix: 'ge' },
          { param: 'date', date: params.to, prefix: 'le' },
        ],
        by: [{ token: '_tag', system: CODING_STATE_SYSTEM }, { token: 'class' }],
      },
      await encounterWhere(store, params),
    );
    return rows
      .map((r): Cell[] => [r.keys[0] ?? 'uncoded', r.keys[1] ?? 'unknown', r.count])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
  },
};

export const codingProductivity: ReportDefinition = {
  name: 'coding-productivity',
  title: 'Coding productivity',
  description:
    "Per coder and UTC day: encounters finalized, and encounters saved but not yet final, by the day of the coder's last " +
    'work on them (the coding work item, Task.lastModified).',
  audience: 'OperationsReport',
  columns: [
    { name: 'coder', label: 'Coder', type: 'text' },
    { name: 'day', label: 'Day', type: 'date' },
    { name: 'finalized', label: 'Finalized', type: 'number' },
    { name: 'inProgress', label: 'Coded, not final', type: 'number' },
    { name: 'total', label: 'Encounters worked', type: 'number' },
  ],
  filters: { coder: 'user name of one coder' },
  defaultDays: 29,
  async run({ store }, params) {
    const where: Criterion[] = [
      { param: 'code', tokens: [{ system: TASK_SYSTEM, code: CODING_TASK }] },
      { param: 'modified', date: params.from, prefix: 'ge' },
      { param: 'modified', date: params.to, prefix: 'le' },
    ];
    const rows = await tallyRecords(store, {
      type: 'Task',
      where,
      by: [
        { token: 'owner:identifier' },
        { date: 'modified', unit: 'day' },
        { token: 'business-status', system: CODING_STATE_SYSTEM },
      ],
    });
    const lines = new Map<string, { coder: string; day: string; finalized: number; inProgress: number }>();
    for (const r of rows) {
      const [coder, day, state] = r.keys;
      if (!coder || !day) continue;
      if (params.filters.coder && coder !== params.filters.coder) continue;
      const key = `${coder}\u0000${day}`;
      const line = lines.get(key) ?? { coder, day, finalized: 0, inProgress: 0 };
      if (state === 'final') line.finalized += r.count;
      else line.inProgress += r.count;
      lines.set(key, line);
    }
    return [...lines.values()]
      .sort((a, b) => a.coder.localeCompare(b.coder) || a.day.localeCompare(b.day))
      .map((l): Cell[] => [l.coder, l.day, l.finalized, l.inProgress, l.finalized + l.inProgress]);
  },
};

export const caseMix: ReportDefinition = {
  name: 'case-mix',
  title: 'Case mix',
  description: 'Encounters during the range by encounter class and service type.',
  audience: 'OperationsReport',
  columns: [
    { name: 'class', label: 'Encounter class', type: 'text' },
    { name: 'serviceType', label: 'Service type', type: 'text' },
    { name: 'encounters', label: 'Encounters', type: 'number' },
  ],
  filters: { class: 'Encounter class code', ...ENCOUNTER_FILTERS },
  defaultDays: 29,
  async run({ store }, params) {
    const where: Criterion[] = [
      { param: 'date', date: params.from, prefix: 'ge' },
      { param: 'date', date: params.to, prefix: 'le' },
    ];
    if (params.filters.class) where.push({ param: 'class', tokens: [{ code: params.filters.class }] });
    const rows = await tallyEach(
      store,
      { type: 'Encounter', where, by: [{ token: 'class' }, { token: 'type' }] },
      await encounterWhere(store, params),
    );
    return rows.map((r): Cell[] => [
      r.keys[0] ?? 'unknown',
      r.labels[1] ?? r.keys[1] ?? 'unspecified',
      r.count,
    ]);
  },
};
