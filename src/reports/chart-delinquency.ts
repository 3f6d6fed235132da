import { currentRuleSet, delinquencyReport } from '../completeness/index.ts';
import type { Cell, ReportDefinition } from './definition.ts';

/**
 * Chart delinquency as the completeness module measures it (its own tables, its settings: a chart
 * is delinquent when a deficiency is still open more than `delinquentAfterDays` after discharge,
 * for the discharge classes it counts), as of the end of `to`: per responsible provider (the
 * deficiency's owner), the delinquent charts and the open deficiencies by age since discharge.
 */
export const chartDelinquency: ReportDefinition = {
  name: 'chart-delinquency',
  title: 'Chart delinquency',
  description:
    'As of the end of to: per responsible provider, charts delinquent (a deficiency open past the delinquency ' +
    "threshold), and open deficiencies by days since discharge (the completeness settings' age buckets).",
  audience: 'OperationsReport',
  columns: [
    { name: 'provider', label: 'Provider', type: 'text' },
    { name: 'providerId', label: 'Practitioner id', type: 'text' },
    { name: 'delinquentCharts', label: 'Delinquent charts', type: 'number' },
    { name: 'ageBucket', label: 'Days since discharge', type: 'text' },
    { name: 'openDeficiencies', label: 'Open deficiencies', type: 'number' },
  ],
  filters: {},
  defaultDays: 0,
  async run({ db }, params) {
    const { settings } = await currentRuleSet(db);
    const asOf = new Date(Date.parse(params.to) + 86_400_000 - 1);
    const report = await delinquencyReport(db, settings, params.to.slice(0, 7), asOf);
    const rows: Cell[][] = [];
    for (const line of report.byProvider) {
      if (line.openDeficiencies === 0) continue;
      report.buckets.forEach((bucket, i) => {
        rows.push([line.name, line.id || null, line.delinquentCharts, bucket.label, line.buckets[i] ?? 0]);
      });
    }
    return rows;
  },
};
