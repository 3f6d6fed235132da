import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.ts';

/** Reading FHIR operation input (a Parameters resource) with readable errors. */
export function asParameters(body: unknown): Parameters {
  const p = body as Parameters | null | undefined;
  if (!p || typeof p !== 'object' || p.resourceType !== 'Parameters')
    throw badRequest('The body must be a FHIR Parameters resource');
  const list: unknown = p.parameter;
  if (list !== undefined && (!Array.isArray(list) || list.some((x) => !x || typeof x !== 'object')))
    throw badRequest('Parameters.parameter must be a list of parameters', ['Parameters.parameter']);
  return p;
}

function param(p: Parameters, name: string): ParametersParameter | undefined {
  return p.parameter?.find((x) => x.name === name);
}

/** The patient id a parameter names: a Reference to Patient/id, or a plain id string. */
export function patientIdParam(p: Parameters, name: string): string | undefined {
  const x = param(p, name);
  if (!x) return undefined;
  const ref = x.valueReference?.reference ?? x.valueString;
  const m = ref ? (/(?:^|\/)Patient\/([^/]+)$/.exec(ref) ?? /^([A-Za-z0-9\-.]{1,64})$/.exec(ref)) : null;
  if (!m?.[1]) throw badRequest(`Parameter ${name} must reference a Patient`);
  return m[1];
}

export function resourceParam(p: Parameters, name: string): Resource | undefined {
  return param(p, name)?.resource;
}

export function stringParam(p: Parameters, name: string): string | undefined {
  return param(p, name)?.valueString ?? param(p, name)?.valueId;
}

export function booleanParam(p: Parameters, name: string): boolean | undefined {
  return param(p, name)?.valueBoolean;
}

export function integerParam(p: Parameters, name: string): number | undefined {
  const x = param(p, name);
  return x?.valueInteger ?? x?.valuePositiveInt;
}

/**
 * A whole-number query parameter (`?offset=20`): `fallback` when absent, a 400 when it is not a
 * whole number from `min` up (`1e400`, `-1`, `abc` and `1.5` are all refused, not guessed at).
 */
export function queryInteger(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min)) throw badRequest(`${name} must be a whole number from ${min} up, not '${value}'`);
  return n;
}
