import type { Consent } from '@medplum/fhirtypes';
import { badRequest, conflict } from '../fhir/outcomes.ts';
import { isCalendarDate } from './legal-clock.ts';
import { RELEASABLE_TYPES, type RecordScope } from './selection.ts';
import { DELIVERIES, isRequesterType, REQUESTER_TYPES, type Delivery, type RequesterType } from './terms.ts';

/**
 * Parsing of the request bodies at the HTTP edge: each field checked and a 400 naming it,
 * so nothing half-formed reaches the store.
 */

export interface NewRequest {
  patientId: string;
  requesterType: RequesterType;
  requesterName?: string;
  recipient: string;
  recipientAddress?: string;
  purpose: string;
  received: string;
  scope: RecordScope;
  delivery: Delivery[];
  authorization?: Consent;
}

type Body = Record<string, unknown>;

export function objectBody(body: unknown): Body {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The body must be a JSON object');
  return body as Body;
}

function text(body: Body, name: string, required: true): string;
function text(body: Body, name: string, required: false): string | undefined;
function text(body: Body, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw badRequest(`'${name}' is required`, [name]);
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`'${name}' must be text`, [name]);
  if (value.length > 2000) throw badRequest(`'${name}' is longer than 2,000 characters`, [name]);
  return value.trim();
}

export function requiredText(body: Body, name: string): string {
  return text(body, name, true);
}

export function optionalText(body: Body, name: string): string | undefined {
  return text(body, name, false);
}

export function dateField(body: Body, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw badRequest(`'${name}' is required (YYYY-MM-DD)`, [name]);
    return undefined;
  }
  if (!isCalendarDate(value))
    throw badRequest(`'${name}' must be a calendar date written YYYY-MM-DD`, [name]);
  return value;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function patientId(body: Body): string {
  const ref = requiredText(body, 'patient');
  const m = /^(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  if (!m?.[1]) throw badRequest(`'patient' must be a reference such as Patient/123`, ['patient']);
  return m[1];
}

function stringList(body: Body, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw badRequest(`'${name}' must be a list of text values`, [name]);
  return value as string[];
}

/** The records asked for: `from`, `to`, `types`, `encounters` (each optional). */
export function scopeOf(body: Body): RecordScope {
  const from = dateField(body, 'from', false);
  const to = dateField(body, 'to', false);
  if (from && to && from > to) throw badRequest(`'from' is after 'to'`, ['from', 'to']);
  const types = stringList(body, 'types');
  const unknown = types?.find((t) => !(RELEASABLE_TYPES as readonly string[]).includes(t));
  if (unknown) throw badRequest(`'types': '${unknown}' is not a record type a release can carry`, ['types']);
  const encounters = stringList(body, 'encounters')?.map((e) => e.replace(/^Encounter\//, ''));
  const bad = encounters?.find((e) => !ID.test(e));
  if (bad !== undefined) throw badRequest(`'${bad}' is not an encounter id`, ['encounters']);
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(types?.length ? { types } : {}),
    ...(encounters?.length ? { encounters } : {}),
  };
}

export function deliveryOf(body: Body, fallback: Delivery[]): Delivery[] {
  const list = stringList(body, 'delivery');
  if (!list) return fallback;
  const bad = list.find((d) => !(DELIVERIES as readonly string[]).includes(d));
  if (bad !== undefined)
    throw badRequest(`'delivery' must name ${DELIVERIES.join(' or ')}, not '${bad}'`, ['delivery']);
  if (list.length === 0) throw badRequest(`'delivery' must name at least one way`, ['delivery']);
  return [...new Set(list)] as Delivery[];
}

export function authorizationOf(value: unknown, name = 'authorization'): Consent | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    (value as { resourceType?: unknown }).resourceType !== 'Consent'
  )
    throw badRequest(`'${name}' must be a FHIR Consent`, [name]);
  return value as Consent;
}

export function parseNewRequest(raw: unknown, asOf: string): NewRequest {
  const body = objectBody(raw);
  const requesterType = body.requesterType;
  if (!isRequesterType(requesterType))
    throw badRequest(`'requesterType' must be one of ${REQUESTER_TYPES.join(', ')}`, ['requesterType']);
  const received = dateField(body, 'received', true) as string;
  if (received > asOf) throw badRequest(`'received' is in the future`, ['received']);
  const requesterName = optionalText(body, 'requesterName');
  const recipientAddress = optionalText(body, 'recipientAddress');
  const authorization = authorizationOf(body.authorization);
  return {
    patientId: patientId(body),
    requesterType,
    ...(requesterName ? { requesterName } : {}),
    recipient: requiredText(body, 'recipient'),
    ...(recipientAddress ? { recipientAddress } : {}),
    purpose: requiredText(body, 'purpose'),
    received,
    scope: scopeOf(body),
    delivery: deliveryOf(body, ['pdf']),
    ...(authorization ? { authorization } : {}),
  };
}

/** The written notice of an extension, as the request body gives it (sent today by default). */
export function extensionNotice(body: unknown, asOf: string): { notice: string; noticeSent: string } {
  const raw = objectBody(body);
  const notice = requiredText(raw, 'notice');
  return { notice, noticeSent: dateField(raw, 'noticeSent', false) ?? asOf };
}

/**
 * The one extension a legal clock allows (164.524(b)(2), 164.526(b)(2)): its notice sent after
 * the request was received and by its first due date.
 */
export function assertExtensible(
  record: { received: string; firstDueDate: string; extension?: unknown },
  noticeSent: string,
): void {
  if (record.extension)
    throw conflict('The request was already extended once; only one extension is allowed');
  if (noticeSent < record.received)
    throw badRequest(`'noticeSent' is before the request was received`, ['noticeSent']);
  if (noticeSent > record.firstDueDate)
    throw conflict(`The notice must be sent by the first due date (${record.firstDueDate})`);
}
