import type { Patient } from '@medplum/fhirtypes';
import type { Demographics, Person } from './person.ts';
import type { PlannedEncounter } from './plan.ts';

// What one visit is built from (encounter.ts) and what its chart extras are given (chart.ts): its
// own file so that encounter.ts, which calls chart.ts, is not imported back by it.

/** A diagnosis or procedure as charted: its text and code. */
export interface Emitted {
  text: string;
  code: string;
}

/** One visit to build: the patient record it belongs to, its planned period and scenario, its number. */
export interface EncounterInput {
  patient: Patient;
  patientUrn: string;
  person: Person;
  d: Demographics;
  mrn: string;
  p: PlannedEncounter;
  last: boolean;
  visit: string;
}
