/** Seeded synthetic hospital data: public surface of the demo module (see README.md). */
export { generatePatients } from './generate.ts';
export type { DemoOptions, DemoPatient } from './generate.ts';
export { writeNdjson } from './ndjson.ts';
export type { DemoProgress, NdjsonSummary } from './ndjson.ts';
export { demoFacilityBundle, ORGANIZATION_ID, PRACTITIONER_SYSTEM } from './facility.ts';
export { DUPLICATE_ERRORS } from './duplicates.ts';
export type { DuplicateError } from './duplicates.ts';
export { SYSTEMS as DEMO_SYSTEMS } from './codes.ts';
export type { CodeEntry, DemoCodes } from './codes.ts';
export { Rng } from './prng.ts';
export {
  addDemoBilling,
  demoPayerBundle,
  DEMO_PAYERS,
  TOTAL_CHARGES_URL,
  type DemoPayer,
} from './billing.ts';
