// Public surface of reports: definitions, the catalogue, CSV, routes.
export { registerReportRoutes } from './routes.ts';
export { REPORTS, reportCatalogue, reportNamed, runReport, type ReportSummary } from './catalogue.ts';
export { reportCsv } from './csv.ts';
export type { ReportDefinition, ReportResult, ReportColumn, Cell } from './definition.ts';
