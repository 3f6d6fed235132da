/** Public surface of records retention (src/retention/README.md). */
export { registerRetentionRoutes } from './routes.ts';
export type { RetentionRule, RetentionEnd } from './schedule.ts';
export type { PatientRetention } from './patient-retention.ts';
export type { LegalHold } from './holds.ts';
export type { DestructionRun, RunItem, RunStatus } from './run-record.ts';
export { seedDemoHolds } from './demo-holds.ts';
