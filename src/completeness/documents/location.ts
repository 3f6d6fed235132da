import type { DocumentReference, Encounter } from '@medplum/fhirtypes';
import { badRequest } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { referencedId } from '../../fhir/definitions.ts';

/**
 * Where a document is filed: its patient and, optionally, the encounter. Both are read through
 * the caller's store (they must exist and be visible to the caller), and the encounter must be
 * that patient's.
 */
export interface Filing {
  patient: string;
  encounter: string | undefined;
}

const ref = (value: string, type: string): string | undefined => {
  const m = new RegExp(`^(?:${type}/)?([A-Za-z0-9\\-.]{1,64})$`).exec(value.trim());
  return m?.[1];
};

export async function resolveFiling(
  store: FhirStore,
  input: { patient?: string | undefined; encounter?: string | undefined },
): Promise<Filing | undefined> {
  let patient = input.patient ? ref(input.patient, 'Patient') : undefined;
  if (input.patient && !patient) throw badRequest('patient must be Patient/<id>', ['patient']);
  const encounter = input.encounter ? ref(input.encounter, 'Encounter') : undefined;
  if (input.encounter && !encounter) throw badRequest('encounter must be Encounter/<id>', ['encounter']);
  if (encounter) {
    const enc = (await store.read('Encounter', encounter)) as Encounter;
    const owner = referencedId(enc.subject, 'Patient');
    if (patient && owner !== patient)
      throw badRequest(`Encounter/${encounter} is not Patient/${patient}'s`, ['encounter']);
    patient = owner;
  }
  if (!patient) return undefined;
  await store.read('Patient', patient);
  return { patient, encounter };
}

export function filingOf(doc: DocumentReference): { patient?: string; encounter?: string } {
  const patient = referencedId(doc.subject, 'Patient');
  const encounter = referencedId(doc.context?.encounter?.[0], 'Encounter');
  return { ...(patient ? { patient } : {}), ...(encounter ? { encounter } : {}) };
}

export const describeFiling = (f: { patient?: string; encounter?: string }): string =>
  f.patient ? `Patient/${f.patient}${f.encounter ? ` Encounter/${f.encounter}` : ''}` : 'unfiled';
