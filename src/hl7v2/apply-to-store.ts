import type { Encounter, Identifier, Patient, Resource } from '@medplum/fhirtypes';
import { conflict } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import type { AdtAction } from './adt-to-fhir.ts';
import { AdtRefusal, HL7_ERROR } from './errors.ts';

/**
 * Applies ADT actions to the record store through FhirStore (so every change is authorised and
 * audited as the HL7 interface user). Idempotent: a resent message finds what the first one made.
 */
export type PatientMerger = (store: FhirStore, sourceId: string, targetId: string) => Promise<void>;

const token = (i: Identifier): string | undefined =>
  i.system && i.value ? `${i.system}|${i.value}` : undefined;

async function findOne<T extends Resource>(
  store: FhirStore,
  type: T['resourceType'],
  identifiers: Identifier[],
): Promise<T | undefined> {
  const found = new Map<string, T>();
  for (const id of identifiers) {
    const t = token(id);
    if (!t) continue;
    const bundle = await store.search(type, new URLSearchParams({ identifier: t, _count: '5' }), {
      lenient: false,
    });
    for (const e of bundle.entry ?? []) if (e.resource?.id) found.set(e.resource.id, e.resource as T);
  }
  if (found.size > 1) {
    throw conflict(
      `The identifiers match ${found.size} different ${type} records (${[...found.keys()].join(', ')}): review them as duplicates first`,
    );
  }
  return [...found.values()][0];
}

/** Fields the message carries replace the record's; fields it leaves out keep what the record has. */
function mergeFields<T extends Resource>(existing: T, incoming: T): T {
  const merged = { ...existing } as Record<string, unknown>;
  for (const [k, v] of Object.entries(incoming))
    if (v !== undefined && k !== 'id' && k !== 'meta') merged[k] = v;
  if ('identifier' in existing || 'identifier' in incoming) {
    const all = [
      ...((existing as { identifier?: Identifier[] }).identifier ?? []),
      ...((incoming as { identifier?: Identifier[] }).identifier ?? []),
    ];
    const seen = new Set<string>();
    merged.identifier = all.filter((i) => {
      const key = token(i) ?? JSON.stringify(i);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return merged as T;
}

async function upsertPatient(store: FhirStore, patient: Patient): Promise<Patient> {
  const existing = await findOne<Patient>(store, 'Patient', patient.identifier ?? []);
  if (!existing?.id) return (await store.create(patient)).resource as Patient;
  return (await store.update('Patient', existing.id, mergeFields(existing, patient))).resource as Patient;
}

async function upsertEncounter(store: FhirStore, encounter: Encounter, patientId: string): Promise<void> {
  const withSubject: Encounter = { ...encounter, subject: { reference: `Patient/${patientId}` } };
  let existing = await findOne<Encounter>(store, 'Encounter', encounter.identifier ?? []);
  if (!existing && !encounter.identifier?.length) {
    // No visit number: an update or discharge applies to the patient's latest open encounter.
    const open = await store.search(
      'Encounter',
      new URLSearchParams({
        subject: `Patient/${patientId}`,
        'status:not': 'finished',
        _sort: '-date',
        _count: '1',
      }),
      { lenient: false },
    );
    if (encounter.status !== 'in-progress' && encounter.status !== 'arrived')
      existing = open.entry?.[0]?.resource as Encounter | undefined;
  }
  if (!existing?.id) {
    await store.create(withSubject);
    return;
  }
  await store.update('Encounter', existing.id, mergeFields(existing, withSubject));
}

export async function applyAdtAction(
  store: FhirStore,
  action: AdtAction,
  merger?: PatientMerger,
): Promise<void> {
  if (action.kind === 'upsert') {
    const patient = await upsertPatient(store, action.patient);
    if (action.encounter && patient.id) await upsertEncounter(store, action.encounter, patient.id);
    return;
  }
  // Every pair is looked up before any is merged: a message refused for one pair changes nothing.
  const planned: Array<[sourceId: string, targetId: string]> = [];
  for (const [i, pair] of action.merges.entries()) {
    const source = await findOne<Patient>(store, 'Patient', pair.nonSurvivor);
    if (!source?.id) throw unknownPatient('MRG', i, 'prior', pair.nonSurvivor);
    if (source.active === false) continue; // already merged: a resent A40
    const target = await findOne<Patient>(store, 'Patient', pair.survivor);
    if (!target?.id) throw unknownPatient('PID', i, 'surviving', pair.survivor);
    planned.push([source.id, target.id]);
  }
  if (planned.length > 0 && !merger) throw conflict('A40: patient merge is not available on this server');
  for (const [sourceId, targetId] of planned) await merger?.(store, sourceId, targetId);
}

/** AE 204 (unknown key) pointing at the PID-3 or MRG-1 that names no patient. */
function unknownPatient(segment: 'PID' | 'MRG', pair: number, role: string, ids: Identifier[]): AdtRefusal {
  return new AdtRefusal({
    ackCode: 'AE',
    errorCode: HL7_ERROR.unknownKey,
    reason: `A40: no patient matches the ${role} identifier ${ids.map(token).join(', ')}`,
    location: { segment, sequence: pair + 1, field: segment === 'PID' ? 3 : 1 },
  });
}
