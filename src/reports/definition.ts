import type { Db } from '../db/index.ts';
import type { FhirStore } from '../fhir/store.ts';
import { badRequest } from '../fhir/outcomes.ts';
import type { Criterion } from '../fhir/search/typed.ts';

/**
 * A report is one definition serving the dashboards, CSV and JSON alike: its columns, the filters
 * it takes, who may read it, and how its rows are computed (aggregates in the database).
 */

/** Who reads a report: the permission table's pseudo-resources (src/shared/policy.ts). */
export type ReportAudience = 'OperationsReport' | 'PrivacyReport';

export type ColumnType = 'text' | 'number' | 'date' | 'month';

export interface ReportColumn {
  name: string;
  label: string;
  type: ColumnType;
}

export type Cell = string | number | null;

/** The report's input once parsed: a date range (UTC days, inclusive) and named filters. */
export interface ReportParams {
  from: string;
  to: string;
  /** Filters the report declared, as given (e.g. `class`, `coder`, `limit`). */
  filters: Record<string, string>;
}

export interface ReportSources {
  db: Db;
  /** The caller's store: every record read or counted is authorised and audited as theirs. */
  store: FhirStore;
}

export interface ReportDefinition {
  name: string;
  title: string;
  description: string;
  audience: ReportAudience;
  columns: ReportColumn[];
  /** Filters besides from/to, with what each means. */
  filters: Record<string, string>;
  /** Days before `to` the range starts when `from` is not given. */
  defaultDays: number;
  run(sources: ReportSources, params: ReportParams): Promise<Cell[][]>;
}

/** A report's answer: `{ columns, rows }` plus what it was computed for. */
export interface ReportResult {
  name: string;
  title: string;
  from: string;
  to: string;
  filters: Record<string, string>;
  columns: string[];
  rows: Cell[][];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
/** Ten years: a longer range is a mistake, and would scan the whole store. */
const MAX_DAYS = 3660;

export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function day(name: string, value: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(value)) || isoDay(Date.parse(value)) !== value)
    throw badRequest(`${name} must be a date as YYYY-MM-DD`, [name]);
  return value;
}

/** Parses ?from&to and the report's own filters; 400 for anything else or anything malformed. */
export function parseReportParams(
  report: ReportDefinition,
  query: Record<string, string | undefined>,
  today: Date = new Date(),
): ReportParams {
  const to = day('to', query.to ?? isoDay(today.getTime()));
  const from = day('from', query.from ?? isoDay(Date.parse(to) - report.defaultDays * DAY_MS));
  if (to < from) throw badRequest('to is before from', ['to']);
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS > MAX_DAYS)
    throw badRequest(`the range may span at most ${MAX_DAYS} days`, ['from']);
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key === 'from' || key === 'to' || value === undefined) continue;
    if (!(key in report.filters))
      throw badRequest(
        `Unknown parameter '${key}' for report ${report.name}; it takes from, to${Object.keys(report.filters)
          .map((f) => `, ${f}`)
          .join('')}`,
        [key],
      );
    if (value.length > 200) throw badRequest(`${key} is too long`, [key]);
    filters[key] = value;
  }
  return { from, to, filters };
}

/** A whole-number filter within bounds (e.g. how many codes a top-N report lists). */
export function intFilter(params: ReportParams, name: string, fallback: number, max: number): number {
  const raw = params.filters[name];
  if (raw === undefined) return fallback;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw badRequest(`${name} must be a whole number from 1 to ${max}`, [name]);
  return Number(raw);
}

/** Whole days from a UTC day to another (both YYYY-MM-DD). */
export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);

/** The UTC day after a day (both YYYY-MM-DD). */
export const nextDay = (day: string): string => isoDay(Date.parse(day) + DAY_MS);

/**
 * A date parameter whose range ENDS within from..to (UTC days): an encounter discharged, a
 * request released in the report's range. `ge` and `eb` both compare the end of the record's range.
 */
export function endsWithin(param: string, from: string, to: string): Criterion[] {
  return [
    { param, date: from, prefix: 'ge' },
    { param, date: nextDay(to), prefix: 'eb' },
  ];
}

/** The UTC months (YYYY-MM) a range touches, in order. */
export function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const last = to.slice(0, 7);
  for (;;) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    if (month > last) break;
    months.push(month);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return months;
}
