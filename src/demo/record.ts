import type { Bundle } from '@medplum/fhirtypes';
import { BundleBuilder } from './bundle-builder.ts';
import { buildEncounter } from './encounter.ts';
import { clinician, ORGANIZATION_REF } from './facility.ts';
import { patientResource } from './person.ts';
import type { Demographics, Person } from './person.ts';
import { planEncounters } from './plan.ts';
import type { Rng } from './prng.ts';
import type { RecordContext } from './record-context.ts';
import { isoInstant } from './time.ts';

export interface RecordInput {
  person: Person;
  demographics: Demographics;
  mrn: string;
  encounters: number;
  /** The first registration: only it may have a visit still open or end in death. */
  original: boolean;
  /** Visits of this record start before this instant (ms): the person's death, if known. */
  before?: number;
}

/** One Patient record with its visits as a transaction Bundle. */
export function buildRecord(ctx: RecordContext, rng: Rng, extra: Rng, input: RecordInput): Bundle {
  const { person, demographics: d, mrn } = input;
  const b = new BundleBuilder();
  const gp = clinician(rng, 'family');
  const patient = patientResource(d, mrn, ORGANIZATION_REF, gp.ref);
  const patientUrn = b.add(rng, patient);
  const plan = planEncounters(rng, ctx, person, d.birthDate, input.encounters, input.original, input.before);
  plan.forEach((p, index) => {
    const last = input.original && index === plan.length - 1;
    const died = buildEncounter(ctx, rng, extra, b, {
      patient,
      patientUrn,
      person,
      d,
      mrn,
      p,
      last,
      visit: `${mrn.slice(1)}${String(index + 1).padStart(2, '0')}`,
    });
    if (died && p.end !== undefined) {
      patient.deceasedDateTime = isoInstant(p.end);
    }
  });
  return { resourceType: 'Bundle', type: 'transaction', entry: b.entries };
}
