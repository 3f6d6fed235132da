/** Public surface of the chart module: the patient finder behind the web application's search. */
export { registerChartRoutes } from './routes.ts';
export { findPatients } from './patient-finder.ts';
export type { FoundPatient, FinderResult, MatchKind } from './patient-finder.ts';
export { parseFinderQuery, parseBirthDate } from './finder-query.ts';
export type { FinderQuery, NameTerm, NameRole } from './finder-query.ts';
