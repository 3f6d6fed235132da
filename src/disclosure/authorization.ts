import type { Consent, ConsentProvision } from '@medplum/fhirtypes';
import { daysBetween } from './legal-clock.ts';
import { purposeCategory, type RequesterType } from './terms.ts';

/**
 * The authorization check (HIPAA 45 CFR 164.508): a Consent is a valid authorization when it
 * holds every core element and required statement, is active (not revoked), is for this
 * patient, and has not expired. Each missing element is named, so the specialist can ask the
 * requester for exactly what is missing. Pure functions: no database.
 *
 * Where each element lives in a FHIR R4 Consent:
 * - description of the information: `provision.class`, `.code`, `.data`, `.dataPeriod` or `.securityLabel`
 * - who may disclose: `Consent.organization`, or a `provision.actor` with role CST (custodian)
 * - recipient: a `provision.actor` with role IRCP or PRCP (information recipient)
 * - purpose: `provision.purpose`
 * - expiry date or event: `provision.period.end`, or the extension EXPIRY_EVENT_URL (text)
 * - signature: `Consent.performer` (who signed) and `source[x]` (the signed form)
 * - date signed: `Consent.dateTime`
 * - the revocation, redisclosure and conditioning statements: `Consent.policy[].uri`
 *   STATEMENT_PREFIX + `revocation` / `redisclosure` / `conditioning`
 * Revocation is `Consent.status` inactive (or rejected).
 */

export const AUTHORIZATION_ELEMENTS = [
  'description',
  'discloser',
  'recipient',
  'purpose',
  'expiration',
  'signature',
  'date',
  'revocation-statement',
  'redisclosure-statement',
  'conditioning-statement',
] as const;
export type AuthorizationElement = (typeof AUTHORIZATION_ELEMENTS)[number];

export const ELEMENT_LABELS: Record<AuthorizationElement, string> = {
  description: 'A description of the information to be disclosed',
  discloser: 'Who may make the disclosure',
  recipient: 'Who may receive the information',
  purpose: 'The purpose of the disclosure',
  expiration: 'An expiration date or event',
  signature: 'The signature of the individual (or representative)',
  date: 'The date it was signed',
  'revocation-statement': 'The statement of the right to revoke',
  'redisclosure-statement': 'The statement that information may be redisclosed',
  'conditioning-statement': 'The statement that treatment or payment is not conditioned on signing',
};

export const STATEMENT_PREFIX = 'urn:custodian:authorization-statement:';
export const EXPIRY_EVENT_URL = 'urn:custodian:fhir:consent-expiry-event';

export type AuthorizationProblem =
  'revoked' | 'expired' | 'not-yet-effective' | 'not-active' | 'other-patient' | 'deny';

export interface AuthorizationCheck {
  consentId?: string;
  /** Core elements and statements the form lacks, in the rule's order. */
  missing: AuthorizationElement[];
  /** Why a complete form still does not authorise (revoked, expired...). */
  problems: Array<{ code: AuthorizationProblem; message: string }>;
  valid: boolean;
  /** Sensitivity labels the authorization names explicitly (Part 2, HIV, psychotherapy notes...). */
  namedLabels: string[];
  /** The expiry date, when it is a date. */
  expires?: string;
}

/** An actor in one of these roles (v3 ParticipationType codes; any system spelling the code). */
const hasRole = (provision: ConsentProvision | undefined, codes: readonly string[]): boolean =>
  (provision?.actor ?? []).some(
    (a) =>
      !!(a.reference.reference || a.reference.display || a.reference.identifier) &&
      (a.role.coding ?? []).some((c) => !!c.code && codes.includes(c.code)),
  );

const statement = (consent: Consent, name: string): boolean =>
  (consent.policy ?? []).some((p) => p.uri === `${STATEMENT_PREFIX}${name}`);

/** The core elements and statements missing from an authorization form. */
export function missingElements(consent: Consent): AuthorizationElement[] {
  const p = consent.provision;
  const present: Record<AuthorizationElement, boolean> = {
    description: !!(
      p?.class?.length ||
      p?.code?.length ||
      p?.data?.length ||
      p?.dataPeriod ||
      p?.securityLabel?.length
    ),
    discloser: !!consent.organization?.length || hasRole(p, ['CST']),
    recipient: hasRole(p, ['IRCP', 'PRCP']),
    purpose: !!p?.purpose?.length,
    expiration:
      !!p?.period?.end ||
      (consent.extension ?? []).some((e) => e.url === EXPIRY_EVENT_URL && !!e.valueString?.trim()),
    signature: !!consent.performer?.length && !!(consent.sourceAttachment || consent.sourceReference),
    date: !!consent.dateTime,
    'revocation-statement': statement(consent, 'revocation'),
    'redisclosure-statement': statement(consent, 'redisclosure'),
    'conditioning-statement': statement(consent, 'conditioning'),
  };
  return AUTHORIZATION_ELEMENTS.filter((e) => !present[e]);
}

/** Every security label code the authorization names, at any depth of its provisions. */
function namedLabels(provision: ConsentProvision | undefined): string[] {
  if (!provision || provision.type === 'deny') return [];
  return [
    ...(provision.securityLabel ?? []).map((c) => c.code ?? '').filter(Boolean),
    ...(provision.provision ?? []).flatMap(namedLabels),
  ];
}

/** Checks an authorization for a patient as of a date (YYYY-MM-DD). */
export function checkAuthorization(consent: Consent, patientId: string, asOf: string): AuthorizationCheck {
  const missing = missingElements(consent);
  const problems: AuthorizationCheck['problems'] = [];
  if (consent.status === 'inactive' || consent.status === 'rejected')
    problems.push({ code: 'revoked', message: 'The authorization was revoked' });
  else if (consent.status !== 'active')
    problems.push({ code: 'not-active', message: `The authorization is ${consent.status}, not active` });
  if (consent.patient?.reference !== `Patient/${patientId}`)
    problems.push({ code: 'other-patient', message: 'The authorization is not for this patient' });
  if (consent.provision?.type === 'deny')
    problems.push({ code: 'deny', message: 'The form denies disclosure instead of permitting it' });
  const end = consent.provision?.period?.end?.slice(0, 10);
  if (end && daysBetween(end, asOf) > 0)
    problems.push({ code: 'expired', message: `The authorization expired on ${end}` });
  const start = consent.provision?.period?.start?.slice(0, 10);
  if (start && daysBetween(asOf, start) > 0)
    problems.push({ code: 'not-yet-effective', message: `The authorization takes effect on ${start}` });
  return {
    ...(consent.id ? { consentId: consent.id } : {}),
    missing,
    problems,
    valid: missing.length === 0 && problems.length === 0,
    namedLabels: [...new Set(namedLabels(consent.provision))],
    ...(end ? { expires: end } : {}),
  };
}

/**
 * Whether a disclosure needs an authorization at all. None for the individual's own request
 * (164.524), treatment, payment or operations to a covered entity (164.506), a court order
 * (164.512(e)(1)(i)), public health (164.512(b)) or law enforcement (164.512(f)). An attorney,
 * a subpoena without a court order, and any other purpose need one.
 */
export function authorizationRequired(requesterType: RequesterType, purpose: string): boolean {
  const category = purposeCategory(purpose);
  switch (requesterType) {
    case 'patient':
    case 'personal-representative':
    case 'court-order':
    case 'public-health':
    case 'law-enforcement':
      return false;
    case 'provider':
      return !['treatment', 'payment', 'operations'].includes(category);
    case 'payer':
      return !['payment', 'operations'].includes(category);
    case 'attorney':
    case 'subpoena':
      return true;
  }
}
