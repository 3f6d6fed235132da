import { isAllowed, type Role } from '../shared/index.ts';
import { forbidden, notFound } from '../fhir/outcomes.ts';
import {
  parseReportParams,
  type ReportDefinition,
  type ReportResult,
  type ReportSources,
} from './definition.ts';
import { diagnosisTrend, topDiagnoses, topProcedures } from './diagnoses.ts';
import { duplicateRate } from './duplicates.ts';
import { caseMix, codingBacklog, codingProductivity, dnfb } from './operations.ts';
import { accessVolume, breakGlass } from './privacy.ts';
import { anomalies } from './anomalies.ts';
import { chartDeficiencies, roiVolume } from './him-work.ts';
import { codingQuality } from './coding-quality.ts';
import { finalizedCases, overriddenEdits } from './coding-records.ts';
import { roiTurnaround } from './roi-turnaround.ts';
import { chartDelinquency } from './chart-delinquency.ts';

/** Every report, in the order the catalogue lists them. */
export const REPORTS: readonly ReportDefinition[] = [
  dnfb,
  codingBacklog,
  codingProductivity,
  codingQuality,
  finalizedCases,
  overriddenEdits,
  caseMix,
  topDiagnoses,
  topProcedures,
  diagnosisTrend,
  duplicateRate,
  roiVolume,
  roiTurnaround,
  chartDeficiencies,
  chartDelinquency,
  breakGlass,
  accessVolume,
  anomalies,
];

/** What the catalogue tells about a report (the UI builds its tables and filters from it). */
export interface ReportSummary {
  name: string;
  title: string;
  description: string;
  audience: ReportDefinition['audience'];
  columns: ReportDefinition['columns'];
  filters: ReportDefinition['filters'];
}

export const mayRead = (role: Role, report: ReportDefinition): boolean =>
  isAllowed(role, report.audience, 'read');

/** The reports this role may read. */
export function reportCatalogue(role: Role): ReportSummary[] {
  return REPORTS.filter((r) => mayRead(role, r)).map((r) => ({
    name: r.name,
    title: r.title,
    description: r.description,
    audience: r.audience,
    columns: r.columns,
    filters: r.filters,
  }));
}

export function reportNamed(name: string): ReportDefinition {
  const report = REPORTS.find((r) => r.name === name);
  if (!report) throw notFound(`No report '${name}' (GET /reports lists them)`);
  return report;
}

/** Runs a report for the caller of `sources.store`: 403 when their role may not read it. */
export async function runReport(
  sources: ReportSources,
  name: string,
  query: Record<string, string | undefined>,
  today: Date = new Date(),
): Promise<ReportResult> {
  const report = reportNamed(name);
  if (!mayRead(sources.store.ctx.role, report))
    throw forbidden(
      `Your role may not read the ${report.audience === 'PrivacyReport' ? 'privacy' : 'operations'} report ${name}`,
    );
  const params = parseReportParams(report, query, today);
  const rows = await report.run(sources, params);
  return {
    name: report.name,
    title: report.title,
    from: params.from,
    to: params.to,
    filters: params.filters,
    columns: report.columns.map((c) => c.name),
    rows,
  };
}
