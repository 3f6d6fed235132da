import type { HumanName, Patient } from '@medplum/fhirtypes';
import { blockingKeys } from './blocking.ts';
import { standardiseRecord } from './standardise.ts';
import type { PersonRecord, StandardRecord } from './types.ts';

/** Identifier systems that name one person everywhere (MRNs differ between duplicate records). */
const PERSON_IDENTIFIER_SYSTEMS = ['http://hl7.org/fhir/sid/us-ssn', 'urn:oid:2.16.840.1.113883.4.1'];

/** Names a registration desk uses for the person (not a nickname, maiden or old name). */
function mainName(names: readonly HumanName[] | undefined): HumanName | undefined {
  const usable = (names ?? []).filter((n) => n.use !== 'nickname' && n.use !== 'maiden' && n.use !== 'old');
  return usable.find((n) => n.use === 'official') ?? usable.find((n) => n.use === 'usual') ?? usable[0];
}

/** "244 Summit Cir" -> ["244", "Summit Cir"]: the engine compares street numbers on their own. */
function splitStreet(line: string | undefined): { number?: string; rest?: string } {
  if (!line) return {};
  const m = /^\s*(\d+[A-Za-z]?)\s+(.*)$/.exec(line);
  return m ? { number: m[1], rest: m[2] } : { rest: line };
}

/** A FHIR Patient as the linkage engine's raw PersonRecord. */
export function patientToPersonRecord(patient: Patient): PersonRecord {
  const name = mainName(patient.name);
  const address = patient.address?.find((a) => a.use !== 'old') ?? patient.address?.[0];
  const street = splitStreet(address?.line?.[0]);
  const phone = patient.telecom?.find((t) => t.system === 'phone' && t.value)?.value;
  const identifier = patient.identifier?.find(
    (i) => i.value && i.system && PERSON_IDENTIFIER_SYSTEMS.includes(i.system),
  )?.value;
  const record: PersonRecord = { id: patient.id ?? '' };
  const set = <K extends keyof PersonRecord>(key: K, value: PersonRecord[K] | undefined): void => {
    if (value !== undefined && value !== '') record[key] = value;
  };
  set('givenName', name?.given?.[0]);
  set('familyName', name?.family);
  set('birthDate', patient.birthDate);
  set('streetNumber', street.number);
  set('addressLine1', street.rest);
  set('addressLine2', address?.line?.[1]);
  set('locality', address?.city);
  set('postcode', address?.postalCode);
  set('state', address?.state);
  set('phone', phone);
  set('identifier', identifier);
  return record;
}

export function standardPatient(patient: Patient): StandardRecord {
  return standardiseRecord(patientToPersonRecord(patient));
}

/** The blocking keys stored for a patient: `rule:key` for every rule that gives a key. */
export function patientBlockKeys(record: StandardRecord): string[] {
  return Object.entries(blockingKeys(record))
    .filter(([, key]) => key !== '')
    .map(([rule, key]) => `${rule}:${key}`);
}

/** A patient that can still be somebody's duplicate: not merged away, not inactive, not deleted. */
export function isLinkable(patient: Patient | null | undefined): patient is Patient {
  return !!patient && patient.active !== false && !patient.link?.some((l) => l.type === 'replaced-by');
}
