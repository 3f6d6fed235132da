import type { Hl7Message, Hl7Segment } from '@medplum/core';
import type {
  Address,
  CodeableConcept,
  ContactPoint,
  Encounter,
  Extension,
  Identifier,
  Patient,
} from '@medplum/fhirtypes';
import {
  addressFromXad,
  authoritySystem,
  contactFromXtn,
  hdFromComponents,
  hl7Date,
  hl7DateTime,
  identifierFromCx,
  nameFromXpn,
  offsetOf,
  text,
} from './datatypes.ts';
import type { MapContext } from './datatypes.ts';
import { HL7_ERROR } from './errors.ts';
import type { AdtRejection, Hl7ErrorCode, Hl7ErrorLocation } from './errors.ts';
import { delimitersOf } from './escape.ts';
import { parseHl7Message, repetitionsOf } from './parse.ts';

// ---------------------------------------------------------------------------------------------------
// Public types

/** Trigger events mapped to a Patient (and Encounter) create-or-update. */
export const UPSERT_TRIGGERS = ['A01', 'A03', 'A04', 'A08', 'A28', 'A31'] as const;
export type UpsertTrigger = (typeof UPSERT_TRIGGERS)[number];
/** Trigger events mapped to a patient merge. */
export const MERGE_TRIGGERS = ['A40'] as const;
export type MergeTrigger = (typeof MERGE_TRIGGERS)[number];
export type AdtTrigger = UpsertTrigger | MergeTrigger;

/** Who sent the message and which message it was (from MSH and EVN), for audit and provenance. */
export interface AdtHeader {
  /** MSH-10: the id the ACK echoes; a resent message repeats it. */
  controlId: string;
  /** MSH-9.2 (EVN-1 only when MSH-9 has no trigger). */
  trigger: AdtTrigger;
  /** MSH-12 */
  version: string;
  /** MSH-3 / MSH-4 namespace ids. */
  sendingApplication?: string;
  sendingFacility?: string;
  /** MSH-7 as a UTC instant. */
  messageTime?: string;
  /** EVN-6 (event occurred), else EVN-2 (recorded), as a UTC instant. */
  eventTime?: string;
}

/**
 * Create or update one patient (A01, A03, A04, A08, A28, A31).
 *
 * `patient` has no `id`: find the stored Patient by any of `patient.identifier` (system|value; MR
 * first), create it when none matches, else update it with the fields present here. `encounter`
 * likewise: find by `encounter.identifier` (the visit number, PV1-19) within that patient, else
 * create; set `encounter.subject` to the stored patient's reference (it arrives as a logical
 * reference by identifier).
 */
export interface AdtUpsert {
  kind: 'upsert';
  header: AdtHeader;
  patient: Patient;
  encounter?: Encounter;
  warnings: string[];
}

/** One PID+MRG pair of an A40: the patient named by MRG-1 merges into the patient named by PID-3. */
export interface AdtMergePair {
  /** PID-3: identifiers of the surviving patient. */
  survivor: Identifier[];
  /** MRG-1: identifiers of the patient that stops existing as a separate record. */
  nonSurvivor: Identifier[];
  /** The survivor's demographics as PID gives them (for an optional update after the merge). */
  survivorPatient: Patient;
}

/** Merge patients (A40): one entry per PID+MRG pair, to be applied in order. */
export interface AdtMerge {
  kind: 'merge';
  header: AdtHeader;
  merges: AdtMergePair[];
  warnings: string[];
}

export type AdtAction = AdtUpsert | AdtMerge;

export type AdtMapResult = { ok: true; action: AdtAction } | { ok: false; rejection: AdtRejection };

export interface AdtMapOptions {
  /** Offset for times sent without one when MSH-7 has none either (default +0000). */
  defaultTimezoneOffset?: string;
}

// ---------------------------------------------------------------------------------------------------
// Entry points

/** Parses and maps message text; a text that is not an HL7 message is an AR rejection. */
export function adtTextToAction(textOfMessage: string, options: AdtMapOptions = {}): AdtMapResult {
  const parsed = parseHl7Message(textOfMessage);
  if (!parsed.ok) {
    return reject('AR', HL7_ERROR.segmentSequence, parsed.reason);
  }
  return adtToAction(parsed.message, options);
}

/** Maps a parsed ADT message to the action it asks for, or to the reason it cannot be acted on. */
export function adtToAction(message: Hl7Message, options: AdtMapOptions = {}): AdtMapResult {
  const msh = message.getSegment('MSH');
  if (!msh) {
    return reject('AR', HL7_ERROR.segmentSequence, 'message has no MSH segment', { segment: 'MSH' });
  }
  const ctx = contextFor(message, msh, options);
  const header = headerOf(message, msh, ctx);
  if (!header.ok) {
    return header;
  }
  switch (header.header.trigger) {
    case 'A40':
      return mergeAction(message, header.header, ctx);
    case 'A01':
    case 'A03':
    case 'A04':
    case 'A08':
    case 'A28':
    case 'A31':
      return upsertAction(message, header.header, ctx);
  }
}

function reject(
  ackCode: AdtRejection['ackCode'],
  errorCode: Hl7ErrorCode,
  reason: string,
  location?: Hl7ErrorLocation,
): { ok: false; rejection: AdtRejection } {
  return { ok: false, rejection: { ackCode, errorCode, reason, ...(location ? { location } : {}) } };
}

function contextFor(message: Hl7Message, msh: Hl7Segment, options: AdtMapOptions): MapContext {
  const base: MapContext = {
    delimiters: delimitersOf(message.context),
    defaultOffset: options.defaultTimezoneOffset ?? '+0000',
    defaultSystem: undefined,
    warnings: [],
  };
  const facility = repetitionsOf(msh, 4)[0];
  return {
    ...base,
    // A time sent without an offset is in the sender's zone, which MSH-7 usually states.
    defaultOffset: offsetOf(firstText(msh, 7, base)) ?? base.defaultOffset,
    // An identifier without an assigning authority belongs to the sending facility's numbering.
    defaultSystem: facility ? authoritySystem(hdFromComponents(facility, base)) : undefined,
  };
}

function firstText(segment: Hl7Segment, field: number, ctx: MapContext, component = 1): string | undefined {
  const rep = repetitionsOf(segment, field)[0];
  return rep ? text(rep, component, ctx) : undefined;
}

function isTrigger(value: string): value is AdtTrigger {
  return (
    (UPSERT_TRIGGERS as readonly string[]).includes(value) ||
    (MERGE_TRIGGERS as readonly string[]).includes(value)
  );
}

function headerOf(
  message: Hl7Message,
  msh: Hl7Segment,
  ctx: MapContext,
): { ok: true; header: AdtHeader } | { ok: false; rejection: AdtRejection } {
  const messageType = firstText(msh, 9, ctx, 1)?.toUpperCase();
  if (messageType !== 'ADT') {
    return reject(
      'AR',
      HL7_ERROR.unsupportedMessageType,
      `message type ${messageType ?? '(none)'} is not ADT`,
      {
        segment: 'MSH',
        sequence: 1,
        field: 9,
      },
    );
  }
  const evn = message.getSegment('EVN');
  // MSH-9 is authoritative: some v2.8 senders leave EVN-1 at A01 whatever the event (see the
  // shared test data README). EVN-1 only fills in for senders that omit MSH-9.2.
  const trigger = (firstText(msh, 9, ctx, 2) ?? (evn ? firstText(evn, 1, ctx) : undefined))?.toUpperCase();
  if (!trigger) {
    return reject('AR', HL7_ERROR.requiredFieldMissing, 'MSH-9 gives no trigger event', {
      segment: 'MSH',
      sequence: 1,
      field: 9,
    });
  }
  if (!isTrigger(trigger)) {
    return reject('AR', HL7_ERROR.unsupportedEvent, `trigger event ${trigger} is not supported`, {
      segment: 'MSH',
      sequence: 1,
      field: 9,
    });
  }
  const eventTime = evn ? (firstText(evn, 6, ctx) ?? firstText(evn, 2, ctx)) : undefined;
  const header: AdtHeader = {
    controlId: firstText(msh, 10, ctx) ?? '',
    trigger,
    version: firstText(msh, 12, ctx) ?? '',
    sendingApplication: firstText(msh, 3, ctx),
    sendingFacility: firstText(msh, 4, ctx),
    messageTime: hl7DateTime(firstText(msh, 7, ctx), ctx, 'MSH-7'),
    eventTime: hl7DateTime(eventTime, ctx, 'EVN-6'),
  };
  return { ok: true, header: dropUndefined(header) };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------------
// Upsert (A01, A03, A04, A08, A28, A31)

function upsertAction(message: Hl7Message, header: AdtHeader, ctx: MapContext): AdtMapResult {
  const pid = message.getSegment('PID');
  if (!pid) {
    return reject('AE', HL7_ERROR.segmentSequence, 'required segment PID is missing', { segment: 'PID' });
  }
  const patient = patientFromPid(pid, ctx);
  if (!patient.identifier?.length) {
    return reject('AE', HL7_ERROR.requiredFieldMissing, 'PID-3 (patient identifier list) is empty', {
      segment: 'PID',
      sequence: 1,
      field: 3,
    });
  }
  const pv1 = message.getSegment('PV1');
  const encounter =
    pv1 && VISIT_TRIGGERS.has(header.trigger)
      ? encounterFromPv1(pv1, header.trigger, patient, ctx)
      : undefined;
  return {
    ok: true,
    action: { kind: 'upsert', header, patient, ...(encounter ? { encounter } : {}), warnings: ctx.warnings },
  };
}

// A28/A31 are person-level messages: their PV1 is a required placeholder, not a visit.
const VISIT_TRIGGERS: ReadonlySet<AdtTrigger> = new Set(['A01', 'A03', 'A04', 'A08']);

const V3_MARITAL = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus';
const V2_MARITAL = 'http://terminology.hl7.org/CodeSystem/v2-0002';
// HL7 table 0002 to v3 MaritalStatus where the meaning is the same.
const MARITAL_V3: Readonly<Record<string, string>> = {
  A: 'L',
  D: 'D',
  E: 'L',
  I: 'I',
  M: 'M',
  N: 'A',
  P: 'T',
  R: 'T',
  S: 'S',
  W: 'W',
  B: 'U',
};

// HL7 table 0001 (administrative sex) to FHIR gender, after the HL7 v2-to-FHIR concept map.
const GENDER: Readonly<Record<string, Patient['gender']>> = {
  M: 'male',
  F: 'female',
  O: 'other',
  A: 'other',
  N: 'other',
  U: 'unknown',
};

const BIRTH_TIME = 'http://hl7.org/fhir/StructureDefinition/patient-birthTime';
const US_SSN = 'http://hl7.org/fhir/sid/us-ssn';

/** PID -> Patient (identifiers, names, birth, sex, addresses, telecom, marital status, death). */
export function patientFromPid(pid: Hl7Segment, ctx: MapContext): Patient {
  const identifier = patientIdentifiers(pid, ctx);
  const name = repetitionsOf(pid, 5)
    .map((rep) => nameFromXpn(rep, ctx))
    .filter((n) => n !== undefined);
  const birthRaw = firstText(pid, 7, ctx);
  const birthDate = hl7Date(birthRaw, ctx, 'PID-7');
  const birthTime = birthRaw && birthRaw.length >= 12 ? hl7DateTime(birthRaw, ctx, 'PID-7') : undefined;
  const sexCode = firstText(pid, 8, ctx)?.toUpperCase();
  const gender = sexCode ? GENDER[sexCode] : undefined;
  if (sexCode && !gender) ctx.warnings.push(`PID-8: sex "${sexCode}" is not in HL7 table 0001; ignored`);
  const address = repetitionsOf(pid, 11)
    .map((rep) => addressFromXad(rep, ctx))
    .filter((a): a is Address => a !== undefined);
  const telecom = patientTelecom(pid, ctx);
  const maritalStatus = maritalStatusOf(pid, ctx);
  const deceased = deceasedOf(pid, ctx);
  const extension: Extension[] = birthTime ? [{ url: BIRTH_TIME, valueDateTime: birthTime }] : [];
  return {
    resourceType: 'Patient',
    ...(extension.length ? { extension } : {}),
    ...(identifier.length ? { identifier } : {}),
    ...(name.length ? { name } : {}),
    ...(telecom.length ? { telecom } : {}),
    ...(gender ? { gender } : {}),
    ...(birthDate ? { birthDate } : {}),
    ...deceased,
    ...(address.length ? { address } : {}),
    ...(maritalStatus ? { maritalStatus } : {}),
  };
}

/** PID-3 (repeating CX), plus PID-19 (SSN) when PID-3 carries no SSN. */
function patientIdentifiers(pid: Hl7Segment, ctx: MapContext): Identifier[] {
  const identifiers = repetitionsOf(pid, 3)
    .map((rep) => identifierFromCx(rep, ctx))
    .filter((i): i is Identifier => i !== undefined);
  const ssn = firstText(pid, 19, ctx);
  const hasSsn = identifiers.some((i) => i.system === US_SSN || i.type?.coding?.[0]?.code === 'SS');
  if (ssn && !hasSsn) {
    identifiers.push({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] },
      system: US_SSN,
      value: ssn,
    });
  }
  return identifiers;
}

/** PID-13 (home), PID-14 (business) and PID-40 (v2.7+ telecom, use from XTN.2). */
function patientTelecom(pid: Hl7Segment, ctx: MapContext): ContactPoint[] {
  const sources: Array<[number, ContactPoint['use']]> = [
    [13, 'home'],
    [14, 'work'],
    [40, undefined],
  ];
  const seen = new Set<string>();
  const out: ContactPoint[] = [];
  for (const [field, use] of sources) {
    for (const rep of repetitionsOf(pid, field)) {
      const contact = contactFromXtn(rep, ctx, use);
      const key = contact ? `${contact.system}|${contact.value}` : '';
      if (contact && !seen.has(key)) {
        seen.add(key);
        out.push(contact);
      }
    }
  }
  return out;
}

function maritalStatusOf(pid: Hl7Segment, ctx: MapContext): CodeableConcept | undefined {
  const rep = repetitionsOf(pid, 16)[0];
  if (!rep) return undefined;
  const code = text(rep, 1, ctx);
  const display = text(rep, 2, ctx);
  const v3 = code ? MARITAL_V3[code.toUpperCase()] : undefined;
  if (v3) {
    return { coding: [{ system: V3_MARITAL, code: v3 }], ...(display ? { text: display } : {}) };
  }
  if (code && /^[A-Z]$/i.test(code)) {
    // A table 0002 code without a v3 equivalent (C common law, G living together, ...) stays a v2 code.
    return {
      coding: [{ system: V2_MARITAL, code: code.toUpperCase() }],
      ...(display ? { text: display } : {}),
    };
  }
  // Free text such as "Married" (or an unknown code) is kept as text, not passed off as a code.
  const words = display ?? code;
  return words ? { text: words } : undefined;
}

function deceasedOf(pid: Hl7Segment, ctx: MapContext): Pick<Patient, 'deceasedDateTime' | 'deceasedBoolean'> {
  const when = hl7DateTime(firstText(pid, 29, ctx), ctx, 'PID-29');
  if (when) return { deceasedDateTime: when };
  const indicator = firstText(pid, 30, ctx)?.toUpperCase();
  if (indicator === 'Y') return { deceasedBoolean: true };
  if (indicator === 'N') return { deceasedBoolean: false };
  return {};
}

// ---------------------------------------------------------------------------------------------------
// Encounter (PV1)

const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
// HL7 table 0004 (patient class) to the v3 ActEncounterCode FHIR's Encounter.class binds to.
const PATIENT_CLASS: Readonly<Record<string, { code: string; display: string }>> = {
  I: { code: 'IMP', display: 'inpatient encounter' },
  B: { code: 'IMP', display: 'inpatient encounter' },
  O: { code: 'AMB', display: 'ambulatory' },
  R: { code: 'AMB', display: 'ambulatory' },
  E: { code: 'EMER', display: 'emergency' },
  P: { code: 'PRENC', display: 'pre-admission' },
};

/** Encounter status by trigger; A08 says nothing about status, so it follows the discharge time. */
function encounterStatus(trigger: AdtTrigger, dischargeTime: string | undefined): Encounter['status'] {
  switch (trigger) {
    case 'A01':
      return 'in-progress';
    case 'A04':
      // Registration: the patient is present but not yet being seen.
      return 'arrived';
    case 'A03':
      return 'finished';
    case 'A08':
    case 'A28':
    case 'A31':
    case 'A40':
      return dischargeTime ? 'finished' : 'in-progress';
  }
}

/** PV1 -> Encounter; undefined when PV1-2 says there is no visit (N) or PV1 is empty. */
export function encounterFromPv1(
  pv1: Hl7Segment,
  trigger: AdtTrigger,
  patient: Patient,
  ctx: MapContext,
): Encounter | undefined {
  const classCode = firstText(pv1, 2, ctx)?.toUpperCase();
  const visitNumber = repetitionsOf(pv1, 19)[0];
  const identifier = visitNumber ? identifierFromCx(visitNumber, ctx) : undefined;
  const start = hl7DateTime(firstText(pv1, 44, ctx), ctx, 'PV1-44');
  const end = hl7DateTime(firstText(pv1, 45, ctx), ctx, 'PV1-45');
  const location = locationDisplay(pv1, ctx);
  if (classCode === 'N' || (!classCode && !identifier && !start && !end && !location)) {
    return undefined;
  }
  const mapped = classCode ? PATIENT_CLASS[classCode] : undefined;
  const status = encounterStatus(trigger, end);
  const subjectIdentifier = primaryIdentifier(patient);
  return {
    resourceType: 'Encounter',
    ...(identifier ? { identifier: [identifier] } : {}),
    status,
    class: mapped
      ? { system: V3_ACT, ...mapped }
      : classCode
        ? { system: 'http://terminology.hl7.org/CodeSystem/v2-0004', code: classCode }
        : { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' },
    ...(subjectIdentifier ? { subject: { identifier: subjectIdentifier } } : {}),
    ...(start || end ? { period: { ...(start ? { start } : {}), ...(end ? { end } : {}) } } : {}),
    ...(location
      ? {
          location: [
            { location: { display: location }, status: status === 'finished' ? 'completed' : 'active' },
          ],
        }
      : {}),
  };
}

/** PV1-3 (PL): "point of care, room, bed" plus the facility, as a display (no Location resource yet). */
function locationDisplay(pv1: Hl7Segment, ctx: MapContext): string | undefined {
  const rep = repetitionsOf(pv1, 3)[0];
  if (!rep) return undefined;
  const description = text(rep, 9, ctx);
  if (description) return description;
  const parts = [text(rep, 1, ctx), text(rep, 2, ctx), text(rep, 3, ctx)].filter((p) => p !== undefined);
  const facility = text(rep, 4, ctx);
  if (!parts.length) return facility;
  return facility ? `${parts.join(', ')} (${facility})` : parts.join(', ');
}

/** The identifier to find a patient by first: an MR, else the first one. */
export function primaryIdentifier(patient: Patient): Identifier | undefined {
  const ids = patient.identifier ?? [];
  return ids.find((i) => i.type?.coding?.some((c) => c.code === 'MR')) ?? ids[0];
}

// ---------------------------------------------------------------------------------------------------
// Merge (A40)

function mergeAction(message: Hl7Message, header: AdtHeader, ctx: MapContext): AdtMapResult {
  const merges: AdtMergePair[] = [];
  let current: { pid: Hl7Segment; index: number; mrg?: Hl7Segment } | undefined;
  let pidCount = 0;
  const pairs: Array<{ pid: Hl7Segment; index: number; mrg?: Hl7Segment }> = [];
  for (const segment of message.segments) {
    if (segment.name === 'PID') {
      pidCount += 1;
      current = { pid: segment, index: pidCount };
      pairs.push(current);
    } else if (segment.name === 'MRG') {
      if (!current || current.mrg) {
        return reject('AE', HL7_ERROR.segmentSequence, 'MRG segment without a PID before it', {
          segment: 'MRG',
        });
      }
      current.mrg = segment;
    }
  }
  if (pairs.length === 0) {
    return reject('AE', HL7_ERROR.segmentSequence, 'required segment PID is missing', { segment: 'PID' });
  }
  for (const { pid, index, mrg } of pairs) {
    if (!mrg) {
      return reject('AE', HL7_ERROR.segmentSequence, `PID #${index} has no MRG segment`, {
        segment: 'MRG',
        sequence: index,
      });
    }
    const survivorPatient = patientFromPid(pid, ctx);
    const survivor = survivorPatient.identifier ?? [];
    if (!survivor.length) {
      return reject('AE', HL7_ERROR.requiredFieldMissing, `PID-3 of PID #${index} is empty`, {
        segment: 'PID',
        sequence: index,
        field: 3,
      });
    }
    const nonSurvivor = repetitionsOf(mrg, 1)
      .map((rep) => identifierFromCx(rep, ctx))
      .filter((i): i is Identifier => i !== undefined);
    if (!nonSurvivor.length) {
      return reject('AE', HL7_ERROR.requiredFieldMissing, `MRG-1 of MRG #${index} is empty`, {
        segment: 'MRG',
        sequence: index,
        field: 1,
      });
    }
    const key = (i: Identifier): string => `${i.system ?? ''}|${i.value ?? ''}`;
    const survivorKeys = new Set(survivor.map(key));
    const same = nonSurvivor.find((i) => survivorKeys.has(key(i)));
    if (same) {
      return reject(
        'AE',
        HL7_ERROR.duplicateKey,
        `pair #${index} merges identifier ${same.value ?? ''} into itself`,
        {
          segment: 'MRG',
          sequence: index,
          field: 1,
        },
      );
    }
    merges.push({ survivor, nonSurvivor, survivorPatient });
  }
  return { ok: true, action: { kind: 'merge', header, merges, warnings: ctx.warnings } };
}
