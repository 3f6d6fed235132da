import type { ReportResult, ReportSummary } from '../../../../src/reports/index.ts';
import { get } from '../../api.ts';

/** The report screens' calls to the server (src/reports routes). */

export type { ReportResult, ReportSummary };

export interface Range {
  from: string;
  to: string;
}

export function fetchReport(
  name: string,
  range: Range,
  filters: Record<string, string> = {},
): Promise<ReportResult> {
  const query = new URLSearchParams({ from: range.from, to: range.to, ...filters });
  return get<ReportResult>(`/reports/${encodeURIComponent(name)}?${query.toString()}`);
}

export const fetchCatalogue = (): Promise<{ reports: ReportSummary[] }> => get('/reports');

/** The value of column `name` in a row, by the answer's column list. */
export function cell(
  result: ReportResult,
  row: ReportResult['rows'][number],
  name: string,
): string | number | null {
  const i = result.columns.indexOf(name);
  return i < 0 ? null : (row[i] ?? null);
}

export const num = (v: string | number | null): number => (typeof v === 'number' ? v : Number(v ?? 0));

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The dashboard's range from ?from&to, else the last `days` days up to today. */
export function rangeFrom(search: URLSearchParams, days: number): Range {
  const valid = (v: string | null): v is string => !!v && /^\d{4}-\d{2}-\d{2}$/.test(v);
  const to = search.get('to');
  const end = valid(to) ? to : iso(Date.now());
  const from = search.get('from');
  return { from: valid(from) ? from : iso(Date.parse(end) - days * DAY_MS), to: end };
}
