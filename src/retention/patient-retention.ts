import type { Encounter, Patient, Resource } from '@medplum/fhirtypes';
import type { FhirStore } from '../fhir/store.ts';
import { retentionEnd, type RetentionEnd, type RetentionFacts, type RetentionRule } from './schedule.ts';

/** A patient's retention facts read through the caller's store, and the end date they give. */

export interface PatientRetention extends RetentionEnd {
  patientId: string;
  lastEncounter?: string;
}

const encounterDate = (e: Encounter): string | undefined => (e.period?.end ?? e.period?.start)?.slice(0, 10);

export function factsOf(
  patient: Patient,
  encounters: Encounter[],
  recordTypes: Iterable<string>,
): RetentionFacts {
  const last = encounters
    .map(encounterDate)
    .filter((d): d is string => !!d)
    .sort()
    .at(-1);
  const deceased = patient.deceasedDateTime
    ? { date: patient.deceasedDateTime.slice(0, 10) }
    : patient.deceasedBoolean
      ? {}
      : undefined;
  return {
    ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
    ...(deceased ? { deceased } : {}),
    ...(last ? { lastEncounter: last } : {}),
    recordTypes: new Set(recordTypes),
  };
}

/** The retention end of one chart: its Patient, its encounters and the record types the rules name. */
export async function patientRetention(
  store: FhirStore,
  patientId: string,
  rules: readonly RetentionRule[],
): Promise<PatientRetention> {
  const patient = (await store.read('Patient', patientId)) as Patient;
  const encounters = await store.findAll({
    type: 'Encounter',
    where: [{ param: 'patient', references: [`Patient/${patientId}`] }],
  });
  const named = [...new Set(rules.map((r) => r.recordType).filter((t) => t !== '*'))];
  const present: string[] = [];
  for (const type of named) {
    const n = await store.count({
      type,
      where: [{ param: 'patient', references: [`Patient/${patientId}`] }],
    });
    if (n > 0) present.push(type);
  }
  const facts = factsOf(patient, encounters.matches as Encounter[], present);
  return {
    patientId,
    ...(facts.lastEncounter ? { lastEncounter: facts.lastEncounter } : {}),
    ...retentionEnd(facts, rules),
  };
}

/** The date a record is about (for date-range holds). */
export function recordDate(r: Resource): string | undefined {
  const x = r as unknown as Record<string, unknown> & {
    period?: { start?: string };
    effectivePeriod?: { start?: string };
  };
  const value =
    x.effectiveDateTime ??
    x.recordedDate ??
    x.performedDateTime ??
    x.date ??
    x.authoredOn ??
    x.issued ??
    x.created ??
    x.period?.start ??
    x.effectivePeriod?.start ??
    x.onsetDateTime;
  return typeof value === 'string' ? value.slice(0, 10) : undefined;
}
