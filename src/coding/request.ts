import { badRequest } from '../fhir/outcomes.ts';
import type { CodingRequest } from './types.ts';

const SEXES = ['male', 'female', 'other', 'unknown'] as const;

/** Checks the shape of a validation request; throws badRequest naming the first bad field. */
export function parseCodingRequest(body: unknown): CodingRequest {
  const obj = record(body, 'request');
  const setting = obj.setting;
  if (setting !== 'inpatient' && setting !== 'outpatient')
    throw badRequest('setting must be "inpatient" or "outpatient"', ['setting']);
  const patient = record(obj.patient, 'patient');
  const age = patient.age;
  if (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > 130) {
    throw badRequest('patient.age must be a whole number of years from 0 to 130', ['patient.age']);
  }
  const sex = patient.sex;
  if (typeof sex !== 'string' || !(SEXES as readonly string[]).includes(sex)) {
    throw badRequest(`patient.sex must be one of ${SEXES.join(', ')}`, ['patient.sex']);
  }
  const admitDate = optionalDate(obj.admitDate, 'admitDate');
  const dischargeDate = optionalDate(obj.dischargeDate, 'dischargeDate');
  const serviceDate = optionalDate(obj.serviceDate, 'serviceDate');
  if (setting === 'inpatient' && (!admitDate || !dischargeDate)) {
    throw badRequest('an inpatient request needs admitDate and dischargeDate (YYYY-MM-DD)', [
      'dischargeDate',
    ]);
  }
  if (setting === 'outpatient' && !serviceDate && !admitDate && !dischargeDate) {
    throw badRequest('an outpatient request needs serviceDate (or admitDate) as YYYY-MM-DD', ['serviceDate']);
  }
  if (admitDate && dischargeDate && dischargeDate < admitDate) {
    throw badRequest('dischargeDate is before admitDate', ['dischargeDate']);
  }
  const diagnoses = list(obj.diagnoses, 'diagnoses').map((d, i) => {
    const item = record(d, `diagnoses[${i}]`);
    const principal = item.principal;
    if (principal !== undefined && typeof principal !== 'boolean')
      throw badRequest(`diagnoses[${i}].principal must be true or false`);
    const poa = item.poa;
    if (poa !== undefined && poa !== null && typeof poa !== 'string')
      throw badRequest(`diagnoses[${i}].poa must be a string such as "Y"`);
    return {
      code: code(item.code, `diagnoses[${i}].code`),
      principal,
      poa: typeof poa === 'string' ? poa : undefined,
    };
  });
  const procedures = list(obj.procedures ?? [], 'procedures').map((p, i) => {
    const item = record(p, `procedures[${i}]`);
    return {
      code: code(item.code, `procedures[${i}].code`),
      date: optionalDate(item.date, `procedures[${i}].date`),
    };
  });
  if (diagnoses.length === 0 && procedures.length === 0)
    throw badRequest('give at least one diagnosis or procedure', ['diagnoses']);
  return {
    setting,
    patient: { age, sex: sex as CodingRequest['patient']['sex'] },
    admitDate,
    dischargeDate,
    serviceDate,
    diagnoses,
    procedures,
  };
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest(`${name} must be an object`, [name]);
  return value as Record<string, unknown>;
}

function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest(`${name} must be an array`, [name]);
  if (value.length > 100) throw badRequest(`${name} may hold at most 100 items`, [name]);
  return value;
}

function code(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9.\s-]{1,12}$/.test(value) || !value.trim()) {
    throw badRequest(`${name} must be a code such as "E11.9"`, [name]);
  }
  return value.trim().toUpperCase();
}

function optionalDate(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw badRequest(`${name} must be a date as YYYY-MM-DD`, [name]);
  }
  return value;
}
