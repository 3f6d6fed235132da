import type { Series } from './report-chart.tsx';
import { cell, num, type ReportResult } from './reports-api.ts';

/**
 * Chart series from a report's rows (`{ columns, rows }`): the dashboards read their reports
 * through these rather than each walking rows and columns its own way.
 */

/** A column's values as text, in the report's row order. */
export const labelsOf = (result: ReportResult, column: string): string[] =>
  result.rows.map((row) => String(cell(result, row, column)));

/** A column's distinct values, in the order they first appear. */
export const distinctOf = (result: ReportResult, column: string): string[] => [
  ...new Set(labelsOf(result, column)),
];

/** The sum of a numeric column over the rows (those `where` keeps, when given). */
export function totalOf(
  result: ReportResult | undefined,
  column: string,
  where: (row: ReportResult['rows'][number]) => boolean = () => true,
): number {
  if (!result) return 0;
  return result.rows.filter(where).reduce((n, row) => n + num(cell(result, row, column)), 0);
}

/** One category per row (`category` column), one series per numeric column named. */
export function columnSeries(
  result: ReportResult,
  category: string,
  columns: ReadonlyArray<{ name: string; column: string }>,
): { categories: string[]; series: Series[] } {
  return {
    categories: labelsOf(result, category),
    series: columns.map((c) => ({
      name: c.name,
      values: result.rows.map((row) => num(cell(result, row, c.column))),
    })),
  };
}

/**
 * A long table pivoted: one category per distinct `category` value, one series per distinct
 * `series` value (or the values given, in that order), each point the sum of `value` of the rows
 * with both.
 */
export function pivotSeries(
  result: ReportResult,
  spec: { category: string; series: string; value: string; seriesNames?: string[] },
): { categories: string[]; series: Series[] } {
  const categories = distinctOf(result, spec.category);
  const names = spec.seriesNames ?? distinctOf(result, spec.series);
  return {
    categories,
    series: names.map((name) => ({
      name,
      values: categories.map((c) =>
        totalOf(
          result,
          spec.value,
          (row) =>
            String(cell(result, row, spec.category)) === c && String(cell(result, row, spec.series)) === name,
        ),
      ),
    })),
  };
}
