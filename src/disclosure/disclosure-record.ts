import type { RequestContext } from '../fhir/request-context.ts';
import type { Purpose } from '../shared/index.ts';
import { purposeCategory, type RequesterType } from './terms.ts';

/**
 * A disclosure as the audit trail keeps it: an AuditEvent of action `disclose` naming the
 * patient, the request and the records, whose `outcomeDesc` carries this record (marked, then
 * JSON) so the accounting of disclosures reads date, recipient, purpose and description from the
 * trail itself, and the legal basis it was made under.
 */

/** The legal basis of a disclosure; 164.528(a)(1) exempts some from the accounting. */
export const BASES = [
  'individual',
  'tpo',
  'authorization',
  'judicial',
  'law-enforcement',
  'public-health',
  'health-oversight',
  'research',
  'directory',
  'incidental',
  'national-security',
  'correctional-custody',
  'limited-data-set',
  'other',
] as const;
export type Basis = (typeof BASES)[number];

/**
 * 164.528(a)(1): no accounting of disclosures to carry out treatment, payment and operations (i),
 * to the individual (ii), incident to a permitted one (iii), under an authorization (iv), for the
 * facility directory or to persons involved in care (v), for national security (vi), to
 * correctional institutions or law enforcement having custody (vii), or as a limited data set (viii).
 */
export const EXEMPT_BASES: ReadonlySet<Basis> = new Set<Basis>([
  'individual',
  'tpo',
  'authorization',
  'incidental',
  'directory',
  'national-security',
  'correctional-custody',
  'limited-data-set',
]);

export const BASIS_LABELS: Record<Basis, string> = {
  individual: 'to the individual',
  tpo: 'treatment, payment or operations',
  authorization: 'under an authorization',
  judicial: 'judicial or administrative proceeding',
  'law-enforcement': 'law enforcement',
  'public-health': 'public health',
  'health-oversight': 'health oversight',
  research: 'research without authorization',
  directory: 'facility directory or persons involved in care',
  incidental: 'incident to a permitted disclosure',
  'national-security': 'national security',
  'correctional-custody': 'correctional institution or custody',
  'limited-data-set': 'limited data set',
  other: 'other permitted disclosure',
};

export function isBasis(value: unknown): value is Basis {
  return typeof value === 'string' && (BASES as readonly string[]).includes(value);
}

export interface DisclosureRecord {
  /** The day it was disclosed (YYYY-MM-DD). */
  date: string;
  recipient: string;
  purpose: string;
  description: string;
  basis: Basis;
  requesterType?: RequesterType;
  requestId?: string;
}

const MARK = 'disclosure:';

export function encodeDisclosure(record: DisclosureRecord): string {
  return `${MARK}${JSON.stringify(record)}`;
}

/** The disclosure an AuditEvent's outcomeDesc records, if it records one. */
export function decodeDisclosure(detail: string | undefined): DisclosureRecord | undefined {
  if (!detail?.startsWith(MARK)) return undefined;
  try {
    const value = JSON.parse(detail.slice(MARK.length)) as Partial<DisclosureRecord>;
    if (typeof value.date !== 'string' || typeof value.recipient !== 'string' || !isBasis(value.basis))
      return undefined;
    return {
      date: value.date,
      recipient: value.recipient,
      purpose: String(value.purpose ?? ''),
      description: String(value.description ?? ''),
      basis: value.basis,
      ...(value.requesterType ? { requesterType: value.requesterType } : {}),
      ...(value.requestId ? { requestId: value.requestId } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The basis a release request was answered under. */
export function basisOf(requesterType: RequesterType, purpose: string, underAuthorization: boolean): Basis {
  if (requesterType === 'patient' || requesterType === 'personal-representative') return 'individual';
  if (underAuthorization) return 'authorization';
  const category = purposeCategory(purpose);
  switch (requesterType) {
    case 'provider':
    case 'payer':
      return ['treatment', 'payment', 'operations'].includes(category) ? 'tpo' : 'other';
    case 'court-order':
    case 'subpoena':
      return 'judicial';
    case 'law-enforcement':
      return 'law-enforcement';
    case 'public-health':
      return 'public-health';
    case 'attorney':
      return 'other';
  }
}

/** The HL7 purpose of use the AuditEvent records for a disclosure. */
export function purposeOfUse(basis: Basis, purpose: string, fallback: Purpose): Purpose {
  const category = purposeCategory(purpose);
  if (basis === 'individual') return 'PATRQT';
  if (basis === 'tpo')
    return category === 'treatment' ? 'TREAT' : category === 'payment' ? 'HPAYMT' : 'HOPERAT';
  if (basis === 'judicial' || basis === 'law-enforcement') return 'HLEGAL';
  if (basis === 'public-health') return 'PUBHLTH';
  if (basis === 'research') return 'HRESCH';
  return fallback;
}

/**
 * The context the audit trail's disclosures are read under (the accounting of disclosures, the
 * recipients an amendment must reach): the privacy officer's sight, who answers for the
 * accounting, under the caller's name. An ROI specialist has no right to the audit trail itself,
 * and no client of the API gains one for this.
 */
export function disclosureTrailContext(ctx: RequestContext): RequestContext {
  return { ...ctx, role: 'privacy-officer', username: `${ctx.username} (accounting of disclosures)` };
}
