import type { Criterion } from '../fhir/search/typed.ts';
import { tallyRecords, type TallyKey } from '../fhir/tally.ts';
import { ENCOUNTER_FILTERS, recordWhere, tallyEach } from './encounter-filters.ts';
import { intFilter, monthsOf, type Cell, type ReportDefinition, type ReportParams } from './definition.ts';
import { CODED_TAG, ICD10CM } from './record-terms.ts';

/**
 * The data-analysis duty: which diagnoses and procedures the coders assigned, how often, and how
 * that moves month by month. Counts are of coded records (the coders' Conditions and Procedures,
 * tagged by the coding workflow), not of the clinicians' problem lists.
 */

function codedConditions(params: ReportParams): Criterion[] {
  return [
    { param: '_tag', tokens: [{ ...CODED_TAG }] },
    { param: 'verification-status', tokens: [{ code: 'entered-in-error' }], not: true },
    { param: 'recorded-date', date: params.from, prefix: 'ge' },
    { param: 'recorded-date', date: params.to, prefix: 'le' },
  ];
}

function codedProcedures(params: ReportParams): Criterion[] {
  return [
    { param: '_tag', tokens: [{ ...CODED_TAG }] },
    { param: 'status', tokens: [{ code: 'entered-in-error' }], not: true },
    { param: 'date', date: params.from, prefix: 'ge' },
    { param: 'date', date: params.to, prefix: 'le' },
  ];
}

/**
 * A "top codes" report: the codes of one kind of coded record in the range, most frequent first,
 * as many as the `limit` filter asks, with the encounter filters.
 */
function topCodesReport(report: {
  name: string;
  title: string;
  description: string;
  codeLabel: string;
  displayLabel: string;
  tally: (params: ReportParams) => { type: string; where: Criterion[]; by: TallyKey[] };
}): ReportDefinition {
  return {
    name: report.name,
    title: report.title,
    description: report.description,
    audience: 'OperationsReport',
    columns: [
      { name: 'code', label: report.codeLabel, type: 'text' },
      { name: 'display', label: report.displayLabel, type: 'text' },
      { name: 'count', label: 'Coded', type: 'number' },
    ],
    filters: { limit: 'how many codes to list (default 20, at most 500)', ...ENCOUNTER_FILTERS },
    defaultDays: 364,
    async run({ store }, params) {
      const limit = intFilter(params, 'limit', 20, 500);
      const rows = await tallyEach(store, report.tally(params), await recordWhere(store, params));
      return rows
        .filter((r) => r.keys[0])
        .slice(0, limit)
        .map((r): Cell[] => [r.keys[0] ?? '', r.labels[0] ?? null, r.count]);
    },
  };
}

export const topDiagnoses = topCodesReport({
  name: 'top-diagnoses',
  title: 'Top diagnoses',
  description:
    'ICD-10-CM codes assigned by coders in the range (Condition.recordedDate), most frequent first.',
  codeLabel: 'ICD-10-CM',
  displayLabel: 'Diagnosis',
  tally: (params) => ({
    type: 'Condition',
    where: codedConditions(params),
    by: [{ token: 'code', system: ICD10CM }],
  }),
});

export const topProcedures = topCodesReport({
  name: 'top-procedures',
  title: 'Top procedures',
  description: 'ICD-10-PCS and HCPCS codes assigned by coders, performed in the range, most frequent first.',
  codeLabel: 'Code',
  displayLabel: 'Procedure',
  tally: (params) => ({ type: 'Procedure', where: codedProcedures(params), by: [{ token: 'code' }] }),
});

export const diagnosisTrend: ReportDefinition = {
  name: 'diagnosis-trend',
  title: 'Diagnosis trend by month',
  description:
    'The top ICD-10-CM codes of the range (by total), counted per month; months without a case show 0.',
  audience: 'OperationsReport',
  columns: [
    { name: 'month', label: 'Month', type: 'month' },
    { name: 'code', label: 'ICD-10-CM', type: 'text' },
    { name: 'display', label: 'Diagnosis', type: 'text' },
    { name: 'count', label: 'Coded', type: 'number' },
  ],
  filters: { limit: 'how many codes to follow (default 5, at most 50)' },
  defaultDays: 364,
  async run({ store }, params) {
    const limit = intFilter(params, 'limit', 5, 50);
    const rows = await tallyRecords(store, {
      type: 'Condition',
      where: codedConditions(params),
      by: [
        { token: 'code', system: ICD10CM },
        { date: 'recorded-date', unit: 'month' },
      ],
    });
    const totals = new Map<string, { display: string | null; total: number; byMonth: Map<string, number> }>();
    for (const r of rows) {
      const [code, month] = r.keys;
      if (!code || !month) continue;
      const t = totals.get(code) ?? { display: r.labels[0] ?? null, total: 0, byMonth: new Map() };
      t.total += r.count;
      t.byMonth.set(month, (t.byMonth.get(month) ?? 0) + r.count);
      totals.set(code, t);
    }
    const top = [...totals.entries()]
      .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))
      .slice(0, limit);
    const out: Cell[][] = [];
    for (const month of monthsOf(params.from, params.to))
      for (const [code, t] of top) out.push([month, code, t.display, t.byMonth.get(month) ?? 0]);
    return out;
  },
};
