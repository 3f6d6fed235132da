import { randomUUID } from 'node:crypto';
import type { AuditEvent, DocumentReference, Patient, Resource, Task } from '@medplum/fhirtypes';
import { patientOf } from '../fhir/definitions.ts';
import { badRequest, conflict, notFound } from '../fhir/outcomes.ts';
import { FhirStore } from '../fhir/store.ts';
import {
  amendmentOf,
  amendmentTask,
  DENIAL_BASES,
  isDenialBasis,
  OPEN_AMENDMENT_STATUSES,
  type AmendmentRecord,
  type AmendmentStatus,
} from './amendment-task.ts';
import { amendmentsOf } from './amendment-statements.ts';
import { decodeDisclosure, disclosureTrailContext } from './disclosure-record.ts';
import { addDays, clockOf, HIPAA_CLOCK, type Clock, type ClockRules } from './legal-clock.ts';
import {
  assertExtensible,
  dateField,
  extensionNotice,
  objectBody,
  optionalText,
  requiredText,
} from './request-input.ts';
import { patientSummary, type PatientSummary } from './requests.ts';

/**
 * The amendment workflow (HIPAA 45 CFR 164.526, ONC 170.315(d)(4)): the patient names the
 * information and the change; the answer is due in 60 days, once extendable by 30 with a notice;
 * HIM routes the request to the author; the author accepts (an appended correction linked to the
 * information, new versions of what is corrected, never an overwrite without history; everyone to
 * be told is listed) or denies in writing with a basis; the patient may then file a statement of
 * disagreement, the facility a rebuttal, and both go with every later release of the information.
 */

/** 164.526(b)(2): 60 days, one 30-day extension with a written notice sent within the 60. */
export const AMENDMENT_DAYS = 60;
export const AMENDMENT_CLOCK: Pick<ClockRules, 'extensionDays' | 'warnDays'> = {
  extensionDays: 30,
  warnDays: 10,
};

export interface AmendmentOptions {
  /** Today's date (YYYY-MM-DD). */
  asOf: string;
}

export interface AmendmentView extends Omit<AmendmentRecord, 'patientId'> {
  patient: PatientSummary;
  clock: Clock;
}

const clockRules: ClockRules = { ...HIPAA_CLOCK, ...AMENDMENT_CLOCK };

function viewOf(record: AmendmentRecord, patient: PatientSummary, asOf: string): AmendmentView {
  const { patientId: _patientId, ...rest } = record;
  return {
    ...rest,
    patient,
    clock: clockOf(record.dueDate, OPEN_AMENDMENT_STATUSES.has(record.status), asOf, clockRules),
  };
}

const REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

function textList(body: Record<string, unknown>, name: string, required: boolean): string[] {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw badRequest(`'${name}' is required`, [name]);
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '' || v.length > 500))
    throw badRequest(`'${name}' must be a list of text`, [name]);
  if (required && value.length === 0) throw badRequest(`'${name}' must name at least one`, [name]);
  return [...new Set((value as string[]).map((v) => v.trim()))];
}

async function loadAmendment(store: FhirStore, id: string): Promise<AmendmentRecord> {
  const task = (await store.read('Task', id)) as Task;
  const record = amendmentOf(task);
  if (!record) throw notFound(`Task/${id} is not an amendment request`);
  return record;
}

async function view(store: FhirStore, record: AmendmentRecord, asOf: string): Promise<AmendmentView> {
  const patient = (await store.read('Patient', record.patientId)) as Patient;
  return viewOf(record, patientSummary(patient), asOf);
}

async function save(store: FhirStore, record: AmendmentRecord): Promise<void> {
  await store.update(
    'Task',
    record.id,
    amendmentTask(record),
    record.versionId ? { ifMatch: Number(record.versionId) } : {},
  );
}

/**
 * One step of the request's workflow: the request as stored now, checked and changed by `step`
 * (which throws to refuse), saved only if nobody changed it meanwhile (If-Match), then shown.
 */
async function changeAmendment(
  store: FhirStore,
  id: string,
  options: AmendmentOptions,
  step: (record: AmendmentRecord) => void,
): Promise<AmendmentView> {
  const record = await loadAmendment(store, id);
  step(record);
  await save(store, record);
  return getAmendment(store, id, options);
}

function assertOpen(record: AmendmentRecord, doing: string): void {
  if (!OPEN_AMENDMENT_STATUSES.has(record.status))
    throw conflict(`The amendment request is ${record.status}; it cannot be ${doing}`);
}

export async function createAmendment(
  store: FhirStore,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const raw = objectBody(body);
  const patientId = requiredText(raw, 'patient').replace(/^Patient\//, '');
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(patientId))
    throw badRequest(`'patient' must be a patient id`, ['patient']);
  const received = dateField(raw, 'received', false) ?? options.asOf;
  if (received > options.asOf) throw badRequest(`'received' is in the future`, ['received']);
  const records = textList(raw, 'records', true);
  for (const ref of records)
    if (!REFERENCE.test(ref))
      throw badRequest(`'records' must hold references such as Condition/123`, ['records']);
  const patient = (await store.read('Patient', patientId)) as Patient;
  // The information named must be this patient's record (read under the caller's access, audited).
  for (const ref of records) {
    const [type = '', id = ''] = ref.split('/');
    const resource = await store.read(type, id);
    if (ref !== `Patient/${patientId}` && patientOf(resource) !== patientId)
      throw badRequest(`${ref} is not part of this patient's record`, ['records']);
  }
  const reason = optionalText(raw, 'reason');
  const due = addDays(received, AMENDMENT_DAYS);
  const record: AmendmentRecord = {
    id: randomUUID(),
    patientId,
    requesterName: optionalText(raw, 'requesterName') ?? patientSummary(patient).name,
    received,
    firstDueDate: due,
    dueDate: due,
    records,
    change: requiredText(raw, 'change'),
    ...(reason ? { reason } : {}),
    notify: textList(raw, 'notify', false),
    status: 'received',
    amendedVersions: [],
    noticeList: [],
  };
  const [saved] = await store.saveAll([amendmentTask(record)]);
  return viewOf(
    { ...record, ...(saved?.meta?.versionId ? { versionId: saved.meta.versionId } : {}) },
    patientSummary(patient),
    options.asOf,
  );
}

export async function getAmendment(
  store: FhirStore,
  id: string,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  return view(store, await loadAmendment(store, id), options.asOf);
}

export type AmendmentFilter = 'open' | 'all' | AmendmentStatus;

/** The amendment queue, soonest due first (open requests by default). */
export async function listAmendments(
  store: FhirStore,
  filter: { status: AmendmentFilter; patientId?: string },
  options: AmendmentOptions,
): Promise<{ total: number; amendments: AmendmentView[] }> {
  const found = filter.patientId
    ? await amendmentsOf(store, filter.patientId)
    : (
        await store.findAll({
          type: 'Task',
          where: [{ param: 'code', tokens: [{ system: 'urn:custodian:task', code: 'amendment' }] }],
        })
      ).matches
        .map((t) => amendmentOf(t as Task))
        .filter((a): a is AmendmentRecord => !!a);
  const records = found
    .filter((r) =>
      filter.status === 'all'
        ? true
        : filter.status === 'open'
          ? OPEN_AMENDMENT_STATUSES.has(r.status)
          : r.status === filter.status,
    )
    .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.received.localeCompare(b.received));
  if (records.length === 0) return { total: 0, amendments: [] };
  const patients = await store.readMany(
    'Patient',
    records.map((r) => r.patientId),
  );
  const byId = new Map(patients.map((p) => [p.id, patientSummary(p as Patient)]));
  const amendments = records.flatMap((r) => {
    const patient = byId.get(r.patientId);
    return patient ? [viewOf(r, patient, options.asOf)] : [];
  });
  return { total: amendments.length, amendments };
}

/** One extension of 30 days, with a written notice sent by the first due date (164.526(b)(2)(ii)). */
export async function extendAmendment(
  store: FhirStore,
  id: string,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const extension = extensionNotice(body, options.asOf);
  return changeAmendment(store, id, options, (record) => {
    assertOpen(record, 'extended');
    assertExtensible(record, extension.noticeSent);
    record.extension = extension;
    record.dueDate = addDays(record.firstDueDate, AMENDMENT_CLOCK.extensionDays);
  });
}

/** HIM sends the request to the author of the information, who decides. */
export async function routeAmendment(
  store: FhirStore,
  id: string,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const author = requiredText(objectBody(body), 'author');
  return changeAmendment(store, id, options, (record) => {
    assertOpen(record, 'routed');
    record.author = author;
    record.routedOn = options.asOf;
    record.status = 'routed';
  });
}

/**
 * Who held the old information: recipients of earlier disclosures of any of the records (the
 * audit trail's `disclose` events, read with the module's sight under the caller's name).
 */
async function knownRecipients(store: FhirStore, record: AmendmentRecord): Promise<string[]> {
  const trail = new FhirStore(store.db, disclosureTrailContext(store.ctx));
  const found = await trail.findAll({
    type: 'AuditEvent',
    where: [
      { param: 'patient', references: [`Patient/${record.patientId}`] },
      { param: 'subtype', tokens: [{ system: 'urn:custodian:audit-action', code: 'disclose' }] },
    ],
  });
  const named = new Set(record.records);
  const recipients = new Set<string>();
  for (const event of found.matches as AuditEvent[]) {
    if (event.outcome !== '0') continue;
    if (!(event.entity ?? []).some((e) => named.has(e.what?.reference ?? ''))) continue;
    const d = decodeDisclosure(event.outcomeDesc);
    if (d) recipients.add(d.recipient);
  }
  return [...recipients].sort();
}

function correctionDocument(
  record: AmendmentRecord,
  correction: string,
  by: string,
  at: string,
): DocumentReference & { id: string } {
  const text = [
    `Amendment accepted ${at.slice(0, 10)} by ${by} at the request of ${record.requesterName}.`,
    `Amends: ${record.records.join(', ')}.`,
    `Requested change: ${record.change}`,
    `Correction: ${correction}`,
  ].join('\n');
  return {
    resourceType: 'DocumentReference',
    id: randomUUID(),
    status: 'current',
    type: {
      coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consult note' }],
      text: 'Amendment',
    },
    subject: { reference: `Patient/${record.patientId}` },
    date: at,
    description: `Amendment to ${record.records.join(', ')}`,
    content: [
      {
        attachment: {
          contentType: 'text/plain',
          data: Buffer.from(text).toString('base64'),
          title: 'Amendment',
        },
      },
    ],
    context: { related: record.records.map((reference) => ({ reference })) },
  };
}

/**
 * Accepts: an appended correction (DocumentReference linked to each record) and, when given, new
 * versions of the records themselves (the old version stays in history), together with the
 * request in one transaction. The notice list is the persons named plus known recipients.
 */
export async function acceptAmendment(
  store: FhirStore,
  id: string,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const raw = objectBody(body);
  const correction = requiredText(raw, 'correction');
  const amended = raw.amended ?? [];
  if (!Array.isArray(amended) || amended.some((r) => !r || typeof r !== 'object' || Array.isArray(r)))
    throw badRequest(`'amended' must be a list of resources`, ['amended']);
  const record = await loadAmendment(store, id);
  assertOpen(record, 'accepted');
  const resources = amended as Resource[];
  for (const r of resources) {
    const ref = `${String(r.resourceType)}/${String(r.id)}`;
    if (!record.records.includes(ref))
      throw badRequest(`${ref} is not among the records this request names`, ['amended']);
  }
  const at = new Date().toISOString();
  const by = store.ctx.username;
  const document = correctionDocument(record, correction, by, at);
  const recipients = await knownRecipients(store, record);
  record.status = 'accepted';
  record.decidedBy = by;
  record.decidedOn = options.asOf;
  record.correction = `DocumentReference/${document.id}`;
  record.noticeList = [...new Set([...record.notify, ...recipients])];
  // The versions the correction supersedes stay readable in history (vread), named on the request.
  for (const r of resources) {
    const current = await store.read(r.resourceType, String(r.id));
    record.amendedVersions.push(
      `${r.resourceType}/${String(r.id)}/_history/${current.meta?.versionId ?? ''}`,
    );
  }
  await store.saveAll([document, ...resources, amendmentTask(record)]);
  return getAmendment(store, id, options);
}

export async function denyAmendment(
  store: FhirStore,
  id: string,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const raw = objectBody(body);
  const basis = raw.basis;
  if (!isDenialBasis(basis))
    throw badRequest(`'basis' must be one of ${Object.keys(DENIAL_BASES).join(', ')}`, ['basis']);
  const explanation = optionalText(raw, 'explanation');
  return changeAmendment(store, id, options, (record) => {
    assertOpen(record, 'denied');
    record.status = 'denied';
    record.denialBasis = basis;
    if (explanation) record.denialExplanation = explanation;
    record.decidedBy = store.ctx.username;
    record.decidedOn = options.asOf;
  });
}

/** The patient's statement of disagreement with a denial (164.526(d)(1)(ii)). */
export async function fileDisagreement(
  store: FhirStore,
  id: string,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const raw = objectBody(body);
  const statement = requiredText(raw, 'statement');
  const filed = dateField(raw, 'filed', false) ?? options.asOf;
  return changeAmendment(store, id, options, (record) => {
    if (record.status !== 'denied') throw conflict('A statement of disagreement answers a denial');
    if (record.disagreement) throw conflict('A statement of disagreement was already filed');
    record.disagreement = { text: statement, filed };
  });
}

/** The facility's rebuttal of the statement (164.526(d)(3)); a copy goes to the patient. */
export async function fileRebuttal(
  store: FhirStore,
  id: string,
  body: unknown,
  options: AmendmentOptions,
): Promise<AmendmentView> {
  const statement = requiredText(objectBody(body), 'statement');
  return changeAmendment(store, id, options, (record) => {
    if (!record.disagreement) throw conflict('A rebuttal answers a statement of disagreement');
    if (record.rebuttal) throw conflict('A rebuttal was already filed');
    record.rebuttal = { text: statement, filed: options.asOf, by: store.ctx.username };
  });
}

export function isAmendmentFilter(value: unknown): value is AmendmentFilter {
  return (
    value === 'open' ||
    value === 'all' ||
    (typeof value === 'string' && ['received', 'routed', 'accepted', 'denied'].includes(value))
  );
}
