import type { Coverage, Encounter } from '@medplum/fhirtypes';
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
  payer: "payer Organization id (the patient's Coverage payor), or self-pay",
} as const;

/** References per criterion: a longer list is split and the tallies added up. */
const CHUNK = 500;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function id(params: ReportParams, name: 'provider' | 'payer'): string | undefined {
  const value = params.filters[name];
  if (value !== undefined && !ID.test(value)) throw badRequest(`${name} must be a resource id`, [name]);
  return value;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The Encounter's own criteria for `service` and `provider`. */
function ownCriteria(params: ReportParams): Criterion[] {
  const where: Criterion[] = [];
  if (params.filters.service) where.push({ param: 'type', tokens: [{ code: params.filters.service }] });
  const provider = id(params, 'provider');
  if (provider) where.push({ param: 'participant', references: [`Practitioner/${provider}`] });
  return where;
}

/** The patients the payer covers (active Coverage), sorted; undefined when no payer is asked. */
async function payerPatients(store: FhirStore, params: ReportParams): Promise<string[] | undefined> {
  const payer = id(params, 'payer');
  if (!payer) return undefined;
  const where: Criterion[] =
    payer === 'self-pay'
      ? [{ param: 'type', tokens: [{ code: 'pay' }] }]
      : [{ param: 'payor', references: [`Organization/${payer}`] }];
  const { matches } = await store.findAll({ type: 'Coverage', where, count: 1000 });
  const patients = new Set<string>();
  for (const c of matches as Coverage[]) {
    if (c.status && c.status !== 'active') continue;
    const patient = /^Patient\/(.+)$/.exec(c.beneficiary?.reference ?? '')?.[1];
    if (patient) patients.add(patient);
  }
  return [...patients].sort();
}

/**
 * Criteria sets that together select the encounters the filters allow: one set without a payer,
 * one per slice of the payer's patients with one (none when the payer covers nobody).
 */
export async function encounterWhere(store: FhirStore, params: ReportParams): Promise<Criterion[][]> {
  const own = ownCriteria(params);
  const patients = await payerPatients(store, params);
  if (!patients) return [own];
  return chunks(patients).map((slice) => [
    ...own,
    { param: 'subject', references: slice.map((p) => `Patient/${p}`) },
  ]);
}

/**
 * The same for records of an encounter (Condition, Procedure): by the encounters' ids when a
 * service or provider is asked, by the payer's patients when only the payer is.
 */
export async function recordWhere(store: FhirStore, params: ReportParams): Promise<Criterion[][]> {
  const patients = await payerPatients(store, params);
  if (ownCriteria(params).length === 0) {
    if (!patients) return [[]];
    return chunks(patients).map((slice) => [
      { param: 'subject', references: slice.map((p) => `Patient/${p}`) },
    ]);
  }
  const ids: string[] = [];
  for (const where of await encounterWhere(store, params)) {
    const { matches } = await store.findAll({ type: 'Encounter', where, count: 1000 });
    ids.push(...(matches as Encounter[]).map((e) => e.id ?? '').filter(Boolean));
  }
  return chunks(ids.sort()).map((slice) => [
    { param: 'encounter', references: slice.map((e) => `Encounter/${e}`) },
  ]);
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
