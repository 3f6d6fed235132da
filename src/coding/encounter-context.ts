import type { Encounter, Patient } from '@medplum/fhirtypes';
import { conflict } from '../fhir/outcomes.ts';
import type { CodingRequest } from './types.ts';
import { referencedId } from '../fhir/definitions.ts';

/** How HIM sees a visit: the coding setting, the class shown on the worklist, and its dates. */
export type EncounterClassLabel = 'inpatient' | 'outpatient' | 'emergency';

export interface EncounterContext {
  encounterId: string;
  patientId: string;
  classLabel: EncounterClassLabel;
  setting: CodingRequest['setting'];
  /** Admission / start instant and discharge / end instant (UTC, as stored). */
  admit: string;
  discharge: string;
  age: number;
  sex: CodingRequest['patient']['sex'];
}

/** The Encounter.class codes of each label (any other code is outpatient). */
export const CLASS_CODES = {
  inpatient: ['IMP', 'ACUTE', 'NONAC', 'inpatient'],
  emergency: ['EMER', 'emergency'],
} as const;
const INPATIENT_CLASSES = new Set<string>(CLASS_CODES.inpatient);
const EMERGENCY_CLASSES = new Set<string>(CLASS_CODES.emergency);

export function classLabel(encounter: Encounter): EncounterClassLabel {
  const code = encounter.class?.code ?? '';
  if (INPATIENT_CLASSES.has(code)) return 'inpatient';
  if (EMERGENCY_CLASSES.has(code)) return 'emergency';
  return 'outpatient';
}

export function patientIdOf(encounter: Encounter): string | undefined {
  return referencedId(encounter.subject, 'Patient');
}

/** Whole years between a birth date and a date (age at admission for the MCE-style edits). */
export function ageAt(birthDate: string, date: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = date.slice(0, 10).split('-').map(Number);
  if (by === undefined || y === undefined) return 0;
  let age = y - by;
  if ((m ?? 1) < (bm ?? 1) || ((m ?? 1) === (bm ?? 1) && (d ?? 1) < (bd ?? 1))) age -= 1;
  return Math.max(0, Math.min(130, age));
}

/**
 * The validation context of a discharged encounter. Refuses (409) an encounter that is not
 * finished or has no discharge time: those are not ready for coding.
 */
export function encounterContext(encounter: Encounter, patient: Patient): EncounterContext {
  const id = encounter.id ?? '';
  if (encounter.status !== 'finished' || !encounter.period?.end) {
    throw conflict(
      `Encounter/${id} is not discharged (status ${encounter.status}, ${encounter.period?.end ? 'with' : 'no'} end time); only finished encounters are coded`,
    );
  }
  const admit = encounter.period.start ?? encounter.period.end;
  const label = classLabel(encounter);
  const gender = patient.gender;
  return {
    encounterId: id,
    patientId: patient.id ?? '',
    classLabel: label,
    setting: label === 'inpatient' ? 'inpatient' : 'outpatient',
    admit,
    discharge: encounter.period.end,
    age: patient.birthDate ? ageAt(patient.birthDate, admit) : 0,
    sex: gender === 'male' || gender === 'female' || gender === 'other' ? gender : 'unknown',
  };
}

export interface AssignedCodes {
  diagnoses: Array<{ code: string; principal?: boolean | undefined; poa?: string | undefined }>;
  procedures: Array<{ code: string; date?: string | undefined }>;
}

/** The validateCoding request for codes assigned to this encounter. */
export function codingRequest(ctx: EncounterContext, codes: AssignedCodes): CodingRequest {
  const admitDate = ctx.admit.slice(0, 10);
  const dischargeDate = ctx.discharge.slice(0, 10);
  return {
    setting: ctx.setting,
    patient: { age: ctx.age, sex: ctx.sex },
    admitDate,
    dischargeDate,
    ...(ctx.setting === 'outpatient' ? { serviceDate: admitDate } : {}),
    diagnoses: codes.diagnoses,
    procedures: codes.procedures,
  };
}

/** The patient's name as a list shows it: Family, Given. */
export function patientName(p: Patient): string {
  const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  if (!name) return '(no name)';
  return name.text ?? [name.family, (name.given ?? []).join(' ')].filter(Boolean).join(', ');
}

/** The medical record number (identifier type MR), else the first identifier. */
export function mrnOf(p: Patient): string | undefined {
  return (
    (p.identifier ?? []).find((i) => i.type?.coding?.some((c) => c.code === 'MR'))?.value ??
    p.identifier?.[0]?.value
  );
}
