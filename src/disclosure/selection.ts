import type { Consent, Resource } from '@medplum/fhirtypes';
import { purposeCategory, type RequesterType } from './terms.ts';

/**
 * Minimum necessary (164.502(b)): which of the patient's records a release may carry. The
 * request names what is asked (a date range, record types, encounters); an authorization's own
 * scope (`provision.dataPeriod`, `provision.class` resource types, `provision.data` records)
 * narrows it further. Pure functions over records already read through the store.
 */

/** The clinical record types a release can carry, in the order the packet shows them. */
export const RELEASABLE_TYPES = [
  'Encounter',
  'Condition',
  'Procedure',
  'Observation',
  'DiagnosticReport',
  'MedicationRequest',
  'MedicationStatement',
  'AllergyIntolerance',
  'Immunization',
  'CarePlan',
  'DocumentReference',
] as const;

export interface RecordScope {
  from?: string;
  to?: string;
  types?: string[];
  /** Encounter ids. */
  encounters?: string[];
}

/**
 * Minimum necessary does not bind a disclosure to the individual, to a provider for treatment,
 * under an authorization (its own scope binds it) or under a court order (required by law).
 */
export function minimumNecessaryApplies(
  requesterType: RequesterType,
  purpose: string,
  underAuthorization: boolean,
): boolean {
  if (underAuthorization) return false;
  if (requesterType === 'patient' || requesterType === 'personal-representative') return false;
  if (requesterType === 'court-order') return false;
  return !(requesterType === 'provider' && purposeCategory(purpose) === 'treatment');
}

/** A scope that names something narrower than the whole record. */
export function isNarrowed(scope: RecordScope): boolean {
  return !!(scope.from || scope.to || scope.types?.length || scope.encounters?.length);
}

const first = (...values: Array<string | undefined>): string | undefined => values.find((v) => !!v);

/** The date a record is about (a visit's start, an onset, an observation's time...), YYYY-MM-DD. */
export function clinicalDate(resource: Resource): string | undefined {
  const r = resource as Record<string, unknown> & Resource;
  const period = (key: string): string | undefined => (r[key] as { start?: string } | undefined)?.start;
  const text = (key: string): string | undefined => (typeof r[key] === 'string' ? r[key] : undefined);
  const date = first(
    period('period'),
    text('effectiveDateTime'),
    period('effectivePeriod'),
    text('performedDateTime'),
    period('performedPeriod'),
    text('onsetDateTime'),
    text('occurrenceDateTime'),
    text('authoredOn'),
    text('recordedDate'),
    text('date'),
    text('issued'),
    text('dateAsserted'),
  );
  return date?.slice(0, 10);
}

/** The encounter a record belongs to (its id), when it names one. */
export function encounterOf(resource: Resource): string | undefined {
  if (resource.resourceType === 'Encounter') return resource.id;
  const r = resource as {
    encounter?: { reference?: string };
    context?: { encounter?: Array<{ reference?: string }> };
  };
  const ref = r.encounter?.reference ?? r.context?.encounter?.[0]?.reference;
  return ref?.startsWith('Encounter/') ? ref.slice('Encounter/'.length) : undefined;
}

/** Whether a record falls inside a scope (every part of the scope that is set must hold). */
export function inScope(resource: Resource, scope: RecordScope): boolean {
  if (scope.types?.length && !scope.types.includes(resource.resourceType)) return false;
  if (scope.encounters?.length) {
    const encounter = encounterOf(resource);
    if (!encounter || !scope.encounters.includes(encounter)) return false;
  }
  if (scope.from || scope.to) {
    const date = clinicalDate(resource);
    if (!date) return false;
    if (scope.from && date < scope.from) return false;
    if (scope.to && date > scope.to) return false;
  }
  return true;
}

/** The part of an authorization that limits what may be released. */
export function authorizationScope(consent: Consent): RecordScope & { records?: string[] } {
  const p = consent.provision;
  const types = (p?.class ?? [])
    .map((c) => c.code ?? '')
    .filter((code) => (RELEASABLE_TYPES as readonly string[]).includes(code));
  const records = (p?.data ?? []).map((d) => d.reference.reference ?? '').filter(Boolean);
  return {
    ...(p?.dataPeriod?.start ? { from: p.dataPeriod.start.slice(0, 10) } : {}),
    ...(p?.dataPeriod?.end ? { to: p.dataPeriod.end.slice(0, 10) } : {}),
    ...(types.length ? { types } : {}),
    ...(records.length ? { records } : {}),
  };
}

/** Whether a record is inside the authorization's scope. */
export function authorizedBy(resource: Resource, scope: ReturnType<typeof authorizationScope>): boolean {
  if (scope.records?.length) {
    const key = `${resource.resourceType}/${resource.id ?? ''}`;
    const encounter = encounterOf(resource);
    // Naming an encounter authorises the records of that visit.
    if (!scope.records.includes(key) && !(encounter && scope.records.includes(`Encounter/${encounter}`)))
      return false;
  }
  return inScope(resource, scope);
}
