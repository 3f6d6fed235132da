import { badRequest } from '../fhir/outcomes.ts';
import type { Criterion } from '../fhir/search/typed.ts';
import type { FhirStore } from '../fhir/store.ts';
import { tallyRecords, type TallyKey, type TallyRow } from '../fhir/tally.ts';
import type { ReportParams } from './definition.ts';

/**
 * The service, provider and payer filters of the encounter and coding reports. Service and
 * provider are the Encounter's own (`type` code, attending `participant`); the payer is the
 * patient's Coverage (`payor`), so it narrows to the payer's beneficiaries. Records other than
 * encounters (coded diagnoses, procedures) are narrowed to the matching encounters.
 */

export const ENCOUNTER_FILTERS = {
  service: 'service: the Encounter type code (as case-mix lists it)',
  provider: 'attending Practitioner id',
  payer: "payer Organization id (the payor of the patient's active Coverage), or self-pay",
} as const;

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function id(params: ReportParams, name: 'provider' | 'payer'): string | undefined {
  const value = params.filters[name];
  if (value !== undefined && !ID.test(value)) throw badRequest(`${name} must be a resource id`, [name]);
  return value;
}

/** The Encounter's own criteria for `service` and `provider`. */
function ownCriteria(params: ReportParams): Criterion[] {
  const where: Criterion[] = [];
  if (params.filters.service) where.push({ param: 'type', tokens: [{ code: params.filters.service }] });
  const provider = id(params, 'provider');
  if (provider) where.push({ param: 'participant', references: [`Practitioner/${provider}`] });
  return where;
}

/**
 * The payer as a criterion on a record's `subject`: its patient is the beneficiary of some
 * Coverage of the payer (or a self-pay Coverage) that is active: a cancelled or draft Coverage
 * does not make the payer the patient's. One join in the database, however many patients the
 * payer covers.
 */
function payerCriterion(params: ReportParams): Criterion | undefined {
  const payer = id(params, 'payer');
  if (!payer) return undefined;
  const coverage: Criterion[] = [
    payer === 'self-pay'
      ? { param: 'type', tokens: [{ code: 'pay' }] }
      : { param: 'payor', references: [`Organization/${payer}`] },
    { param: 'status', tokens: [{ code: 'active' }] },
  ];
  return {
    param: 'subject',
    chain: { type: 'Patient', where: { param: 'beneficiary', has: { type: 'Coverage', where: coverage } } },
  };
}

/**
 * Criteria sets that together select the encounters the filters allow (one set: the payer is a
 * join, not a list of patients).
 */
export async function encounterWhere(_store: FhirStore, params: ReportParams): Promise<Criterion[][]> {
  const payer = payerCriterion(params);
  return [[...ownCriteria(params), ...(payer ? [payer] : [])]];
}

/**
 * The same for records of an encounter (Condition, Procedure): through their `encounter` when a
 * service or provider is asked (each a chained criterion), through their `subject` for the payer.
 */
export async function recordWhere(_store: FhirStore, params: ReportParams): Promise<Criterion[][]> {
  const payer = payerCriterion(params);
  const own = ownCriteria(params).map((where): Criterion => ({
    param: 'encounter',
    chain: { type: 'Encounter', where },
  }));
  return [[...own, ...(payer ? [payer] : [])]];
}

/** One tally per criteria set, added up per key (the sets select disjoint records). */
export async function tallyEach(
  store: FhirStore,
  spec: { type: string; where: Criterion[]; by: TallyKey[] },
  sets: Criterion[][],
): Promise<TallyRow[]> {
  if (sets.length === 1) return tallyRecords(store, { ...spec, where: [...spec.where, ...sets[0]!] });
  const merged = new Map<string, TallyRow>();
  for (const set of sets) {
    for (const row of await tallyRecords(store, { ...spec, where: [...spec.where, ...set] })) {
      const key = JSON.stringify(row.keys);
      const held = merged.get(key);
      if (held) held.count += row.count;
      else merged.set(key, { ...row, keys: [...row.keys], labels: [...row.labels] });
    }
  }
  return [...merged.values()].sort((a, b) => b.count - a.count);
}

export function hasEncounterFilter(params: ReportParams): boolean {
  return Object.keys(ENCOUNTER_FILTERS).some((f) => params.filters[f] !== undefined);
}
