import { randomUUID } from 'node:crypto';
import type { Consent, Patient, Task } from '@medplum/fhirtypes';
import { medicalRecordNumber } from '../shared/index.ts';
import { badRequest, conflict, notFound } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import {
  authorizationRequired,
  checkAuthorization,
  type AuthorizationCheck,
  type AuthorizationElement,
} from './authorization.ts';
import {
  clockOf,
  extendedDueDate,
  firstDueDate,
  HIPAA_CLOCK,
  type Clock,
  type ClockRules,
} from './legal-clock.ts';
import { requestOf, taskOf, type RequestRecord } from './request-task.ts';
import {
  assertExtensible,
  authorizationOf,
  deliveryOf,
  extensionNotice,
  objectBody,
  optionalText,
  parseNewRequest,
  requiredText,
  scopeOf,
} from './request-input.ts';
import {
  OPEN_STATUSES,
  purposeCategory,
  ROI_TASK_CODE,
  TASK_SYSTEM,
  type DisclosurePurpose,
  type RequestStatus,
} from './terms.ts';

/**
 * The ROI request workflow over the caller's store: log, attach an authorization, select the
 * records, extend once, deny, close. Every read and write goes through the store, so the
 * caller's role and the records' labels apply and each access is audited.
 */

export interface PatientSummary {
  id: string;
  name: string;
  birthDate?: string;
  mrn?: string;
}

/** A request as the API answers it. */
export interface ReleaseRequest extends Omit<RequestRecord, 'patientId'> {
  patient: PatientSummary;
  purposeCategory: DisclosurePurpose;
  clock: Clock;
  authorizationRequired: boolean;
  authorization?: AuthorizationCheck & { id: string };
  /** The core elements the authorization lacks; every element when one is needed and none is attached. */
  missingAuthorizationElements: AuthorizationElement[];
}

export interface WorkflowOptions {
  clock: ClockRules;
  /** Today's date (YYYY-MM-DD). */
  asOf: string;
}

export const DEFAULT_WORKFLOW = (asOf: string): WorkflowOptions => ({ clock: HIPAA_CLOCK, asOf });

export function patientSummary(patient: Patient): PatientSummary {
  const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  const text = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  const mrn = medicalRecordNumber(patient.identifier);
  return {
    id: patient.id ?? '',
    name: text || '(no name)',
    ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
    ...(mrn ? { mrn } : {}),
  };
}

function viewOf(
  record: RequestRecord,
  patient: PatientSummary,
  consent: Consent | undefined,
  options: WorkflowOptions,
): ReleaseRequest {
  const { patientId: _patientId, ...rest } = record;
  const required = authorizationRequired(record.requesterType, record.purpose);
  const check = consent?.id ? checkAuthorization(consent, record.patientId, options.asOf) : undefined;
  const missing = check ? check.missing : required ? allElements() : [];
  return {
    ...rest,
    patient,
    purposeCategory: purposeCategory(record.purpose),
    clock: clockOf(record.dueDate, OPEN_STATUSES.has(record.status), options.asOf, options.clock),
    authorizationRequired: required,
    ...(check && consent?.id ? { authorization: { ...check, id: consent.id } } : {}),
    missingAuthorizationElements: missing,
  };
}

function allElements(): AuthorizationElement[] {
  return checkAuthorization({ resourceType: 'Consent' } as Consent, '', '1970-01-01').missing;
}

/** Whether the request may go on without a further authorization. */
function authorizationSatisfied(record: RequestRecord, consent: Consent | undefined, asOf: string): boolean {
  if (!authorizationRequired(record.requesterType, record.purpose)) return true;
  return !!consent && checkAuthorization(consent, record.patientId, asOf).valid;
}

/** A Consent as it will be stored: its own id, the patient filled in, a form's defaults. */
function preparedConsent(consent: Consent, patientId: string): Consent & { id: string } {
  return {
    ...consent,
    id: randomUUID(),
    status: consent.status ?? 'active',
    scope: consent.scope ?? {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: consent.category?.length
      ? consent.category
      : [
          {
            coding: [
              { system: 'http://loinc.org', code: '64292-6', display: 'Release of information consent' },
            ],
          },
        ],
    patient: consent.patient ?? { reference: `Patient/${patientId}` },
  };
}

export async function createRequest(
  store: FhirStore,
  body: unknown,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const input = parseNewRequest(body, options.asOf);
  const patient = (await store.read('Patient', input.patientId)) as Patient;
  const consent = input.authorization ? preparedConsent(input.authorization, input.patientId) : undefined;
  const due = firstDueDate(input.received, input.requesterType, options.clock);
  const record: RequestRecord = {
    id: randomUUID(),
    patientId: input.patientId,
    requesterType: input.requesterType,
    ...(input.requesterName ? { requesterName: input.requesterName } : {}),
    recipient: input.recipient,
    ...(input.recipientAddress ? { recipientAddress: input.recipientAddress } : {}),
    purpose: input.purpose,
    received: input.received,
    status: 'logged',
    firstDueDate: due,
    dueDate: due,
    ...(consent ? { authorizationId: consent.id } : {}),
    scope: input.scope,
    delivery: input.delivery,
  };
  if (!authorizationSatisfied(record, consent, options.asOf)) record.status = 'pending-authorization';
  // The request and its authorization are stored together or not at all.
  const saved = await store.saveAll([...(consent ? [consent] : []), taskOf(record)]);
  const savedConsent = consent ? (saved[0] as Consent) : undefined;
  return viewOf(record, patientSummary(patient), savedConsent, options);
}

/** The request Task, or 404 when the id names no release request. */
async function loadRecord(store: FhirStore, id: string): Promise<RequestRecord> {
  const task = (await store.read('Task', id)) as Task;
  const record = requestOf(task);
  if (!record) throw notFound(`Task/${id} is not a release of information request`);
  return record;
}

async function loadConsent(store: FhirStore, record: RequestRecord): Promise<Consent | undefined> {
  if (!record.authorizationId) return undefined;
  return (await store.read('Consent', record.authorizationId)) as Consent;
}

export async function getRequest(
  store: FhirStore,
  id: string,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const record = await loadRecord(store, id);
  const [patient, consent] = await Promise.all([
    store.read('Patient', record.patientId) as Promise<Patient>,
    loadConsent(store, record),
  ]);
  return viewOf(record, patientSummary(patient), consent, options);
}

/** The request with its authorization, for the release (which re-checks both). */
export async function requestForRelease(
  store: FhirStore,
  id: string,
): Promise<{ record: RequestRecord; consent: Consent | undefined; patient: Patient }> {
  const record = await loadRecord(store, id);
  const consent = await loadConsent(store, record);
  const patient = (await store.read('Patient', record.patientId)) as Patient;
  return { record, consent, patient };
}

export type QueueFilter = 'open' | 'all' | RequestStatus;

/** What the queue lists: a status, and optionally one patient, a month and late releases only. */
export interface QueueSelection {
  status: QueueFilter;
  patientId?: string;
  /** Month the request was received (YYYY-MM): the ROI volume report's month. */
  receivedMonth?: string;
  /** Month the records were released (YYYY-MM): the ROI turnaround report's month. */
  releasedMonth?: string;
  /** Only requests released after their due date, as the turnaround report counts them late. */
  late?: boolean;
}

/** Released after the (possibly extended) due date: the turnaround report's "late". */
export const releasedLate = (r: RequestRecord): boolean =>
  !!r.released && !!r.dueDate && r.released.at.slice(0, 10) > r.dueDate;

function selected(r: RequestRecord, filter: QueueSelection): boolean {
  if (
    filter.status === 'open'
      ? !OPEN_STATUSES.has(r.status)
      : filter.status !== 'all' && r.status !== filter.status
  )
    return false;
  if (filter.receivedMonth && !r.received.startsWith(filter.receivedMonth)) return false;
  if (filter.releasedMonth && !r.released?.at.startsWith(filter.releasedMonth)) return false;
  return !filter.late || releasedLate(r);
}

/**
 * The ROI queue: requests ordered by due date (soonest first), open ones by default, narrowed
 * to a month received or released and to late releases when the dashboards link here. Read
 * through the caller's store, so requests of patients hidden from the caller are not listed.
 */
export async function listRequests(
  store: FhirStore,
  filter: QueueSelection,
  options: WorkflowOptions,
): Promise<{ total: number; requests: ReleaseRequest[] }> {
  const found = await store.findAll({
    type: 'Task',
    where: [
      { param: 'code', tokens: [{ system: TASK_SYSTEM, code: ROI_TASK_CODE }] },
      ...(filter.patientId ? [{ param: 'patient', references: [`Patient/${filter.patientId}`] }] : []),
    ],
  });
  const records = found.matches
    .map((t) => requestOf(t as Task))
    .filter((r): r is RequestRecord => !!r && selected(r, filter))
    .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.received.localeCompare(b.received));
  if (records.length === 0) return { total: 0, requests: [] };
  const [patients, consents] = await Promise.all([
    store.readMany(
      'Patient',
      records.map((r) => r.patientId),
    ),
    store.readMany(
      'Consent',
      records.flatMap((r) => (r.authorizationId ? [r.authorizationId] : [])),
    ),
  ]);
  const patientById = new Map(patients.map((p) => [p.id, patientSummary(p as Patient)]));
  const consentById = new Map(consents.map((c) => [c.id, c as Consent]));
  const requests = records.flatMap((r) => {
    const patient = patientById.get(r.patientId);
    if (!patient) return [];
    return [viewOf(r, patient, r.authorizationId ? consentById.get(r.authorizationId) : undefined, options)];
  });
  return { total: requests.length, requests };
}

/** Writes a changed request, refusing when someone changed it since it was read. */
async function saveRecord(store: FhirStore, record: RequestRecord, extra: Consent[] = []): Promise<void> {
  const task = taskOf(record);
  if (extra.length === 0) {
    await store.update(
      'Task',
      record.id,
      task,
      record.versionId ? { ifMatch: Number(record.versionId) } : {},
    );
    return;
  }
  await store.saveAll([...extra, task]);
}

function assertOpen(record: RequestRecord, doing: string): void {
  if (!OPEN_STATUSES.has(record.status))
    throw conflict(`The request is ${record.status}; it cannot be ${doing}`);
}

/** Attaches a (new) authorization form and moves the request on when it now may go on. */
export async function attachAuthorization(
  store: FhirStore,
  id: string,
  body: unknown,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const raw = objectBody(body);
  const form = authorizationOf(raw.resourceType === 'Consent' ? raw : raw.authorization);
  if (!form) throw badRequest('Send the authorization as a FHIR Consent');
  const record = await loadRecord(store, id);
  assertOpen(record, 'given an authorization');
  const consent = preparedConsent(form, record.patientId);
  record.authorizationId = consent.id;
  const satisfied = authorizationSatisfied(record, consent, options.asOf);
  if (!satisfied) record.status = 'pending-authorization';
  else if (record.status === 'pending-authorization') record.status = 'in-review';
  await saveRecord(store, record, [consent]);
  return getRequest(store, id, options);
}

/** Selects the records (minimum necessary) and the delivery, and starts the review. */
export async function reviewRequest(
  store: FhirStore,
  id: string,
  body: unknown,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const raw = objectBody(body ?? {});
  const scope = scopeOf(raw);
  const record = await loadRecord(store, id);
  assertOpen(record, 'reviewed');
  record.scope = scope;
  record.delivery = deliveryOf(raw, record.delivery);
  if (record.status === 'logged') record.status = 'in-review';
  await saveRecord(store, record);
  return getRequest(store, id, options);
}

/**
 * The one extension (164.524(b)(2)(iii)): a written notice, sent within the first period,
 * giving the reasons and the new date; the due date moves by the rule's extension days.
 */
export async function extendRequest(
  store: FhirStore,
  id: string,
  body: unknown,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const extension = extensionNotice(body, options.asOf);
  const record = await loadRecord(store, id);
  assertOpen(record, 'extended');
  if (options.clock.extensionDays <= 0) throw conflict('These rules allow no extension');
  assertExtensible(record, extension.noticeSent);
  record.extension = extension;
  record.dueDate = extendedDueDate(record.firstDueDate, options.clock);
  await saveRecord(store, record);
  return getRequest(store, id, options);
}

export async function denyRequest(
  store: FhirStore,
  id: string,
  body: unknown,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const reason = requiredText(objectBody(body), 'reason');
  const record = await loadRecord(store, id);
  assertOpen(record, 'denied');
  record.status = 'denied';
  record.denialReason = reason;
  await saveRecord(store, record);
  return getRequest(store, id, options);
}

export async function closeRequest(
  store: FhirStore,
  id: string,
  body: unknown,
  options: WorkflowOptions,
): Promise<ReleaseRequest> {
  const reason = optionalText(objectBody(body ?? {}), 'reason');
  const record = await loadRecord(store, id);
  if (record.status === 'closed') throw conflict('The request is already closed');
  if (OPEN_STATUSES.has(record.status) && !reason)
    throw badRequest(`'reason' is required to close a request that was not answered`, ['reason']);
  record.status = 'closed';
  if (reason) record.closeReason = reason;
  await saveRecord(store, record);
  return getRequest(store, id, options);
}
