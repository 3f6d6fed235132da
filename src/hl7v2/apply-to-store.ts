import { randomUUID } from 'node:crypto';
import type { Encounter, Identifier, Patient, Resource } from '@medplum/fhirtypes';
import { conflict } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import type { AdtAction, AdtTrigger } from './adt-to-fhir.ts';
import { AdtRefusal, HL7_ERROR } from './errors.ts';

/**
 * Applies ADT actions to the record store through FhirStore (so every change is authorised and
 * audited as the HL7 interface user). Idempotent: a resent message finds what the first one made.
 */
export type PatientMerger = (store: FhirStore, sourceId: string, targetId: string) => Promise<void>;

/** `system|value`, for messages and as a key (never parsed back: lookups pass both as data). */
const token = (i: Identifier): string | undefined =>
  i.system && i.value ? `${i.system}|${i.value}` : undefined;

async function findOne<T extends Resource>(
  store: FhirStore,
  type: T['resourceType'],
  identifiers: Identifier[],
): Promise<T | undefined> {
  const found = new Map<string, T>();
  for (const { system, value } of identifiers) {
    if (!system || !value) continue;
    // System and value as data: an MRN such as `MRN,001` or `A|B` is one value of one system.
    for (const r of await store.findByIdentifier(type, { system, value })) if (r.id) found.set(r.id, r as T);
  }
  // A merged-away patient and its survivor (which keeps the retired MRN as an old alias): the
  // message is about the survivor.
  for (const [id, r] of found) {
    const survivor = r.resourceType === 'Patient' ? r.link?.find((l) => l.type === 'replaced-by') : undefined;
    const survivorId = survivor?.other.reference?.split('/').pop();
    if (survivorId && found.has(survivorId)) found.delete(id);
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

/**
 * The Patient to save: the stored one the identifiers find, with the message's fields; or a new one
 * with its id chosen here, so the message's Encounter can refer to it in the same transaction.
 */
async function patientToSave(store: FhirStore, patient: Patient): Promise<Patient & { id: string }> {
  const existing = await findOne<Patient>(store, 'Patient', patient.identifier ?? []);
  if (!existing?.id) return { ...patient, id: randomUUID() };
  return { ...mergeFields(existing, patient), id: existing.id };
}

/** The Encounter to save for the patient `patientId`: the stored one it updates, or a new one (no id). */
async function encounterToSave(
  store: FhirStore,
  encounter: Encounter,
  patientId: string,
  trigger: AdtTrigger,
): Promise<Encounter> {
  const subject = `Patient/${patientId}`;
  const withSubject: Encounter = { ...encounter, subject: { reference: subject } };
  let existing = await findOne<Encounter>(store, 'Encounter', encounter.identifier ?? []);
  if (!existing && !encounter.identifier?.length && (trigger === 'A03' || trigger === 'A08')) {
    // No visit number: an update or discharge applies to the patient's latest open encounter
    // (by trigger, not status: an A08 without a discharge time maps to in-progress, as A01 does).
    const open = await store.find({
      type: 'Encounter',
      where: [
        { param: 'subject', references: [subject] },
        { param: 'status', tokens: [{ code: 'finished' }], not: true },
      ],
      sort: [{ param: 'date', descending: true }],
      count: 1,
    });
    existing = open.matches[0] as Encounter | undefined;
  }
  return existing?.id ? mergeFields(existing, withSubject) : withSubject;
}

export async function applyAdtAction(
  store: FhirStore,
  action: AdtAction,
  merger?: PatientMerger,
): Promise<void> {
  if (action.kind === 'upsert') {
    // The Patient and its Encounter in one transaction: both are written, or neither. A record
    // the message leaves as it is gets no new version (a resent message changes nothing).
    const patient = await patientToSave(store, action.patient);
    const encounter =
      action.encounter && (await encounterToSave(store, action.encounter, patient.id, action.header.trigger));
    await store.saveAll(encounter ? [patient, encounter] : [patient]);
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
    // The prior MRN finds the survivor itself (an earlier merge kept it as an alias): a resent A40.
    if (source.id === target.id) continue;
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
