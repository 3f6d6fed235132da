/**
 * The words of release of information: who asks, why, what state a request is in, and the codes
 * a request Task and an authorization Consent carry. Pure data (`as const` lists with unions).
 */

/** Who asked for the records (drives the clock, the authorization rule, fees and the accounting). */
export const REQUESTER_TYPES = [
  'patient',
  'personal-representative',
  'provider',
  'payer',
  'attorney',
  'law-enforcement',
  'court-order',
  'subpoena',
  'public-health',
] as const;
export type RequesterType = (typeof REQUESTER_TYPES)[number];

/** A request's place in the ROI workflow. */
export const REQUEST_STATUSES = [
  'logged',
  'pending-authorization',
  'in-review',
  'released',
  'denied',
  'closed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses in which the legal clock still runs. */
export const OPEN_STATUSES: ReadonlySet<RequestStatus> = new Set<RequestStatus>([
  'logged',
  'pending-authorization',
  'in-review',
]);

/**
 * Purposes of a disclosure. A request's free-text purpose that is none of these counts as
 * `other` (an authorization is then needed), so no wording slips past the rules.
 */
export const PURPOSES = [
  'treatment',
  'payment',
  'operations',
  'personal',
  'legal',
  'judicial',
  'law-enforcement',
  'public-health',
  'health-oversight',
  'research',
  'other',
] as const;
export type DisclosurePurpose = (typeof PURPOSES)[number];

/** How the packet goes out. */
export const DELIVERIES = ['pdf', 'bundle'] as const;
export type Delivery = (typeof DELIVERIES)[number];

export const TASK_SYSTEM = 'urn:custodian:task';
export const ROI_TASK_CODE = 'release-of-information';
export const STATUS_SYSTEM = 'urn:custodian:roi-status';
export const INPUT_SYSTEM = 'urn:custodian:roi-input';
export const OUTPUT_SYSTEM = 'urn:custodian:roi-output';

/** FHIR Task.status for each request status (the ROI status itself is Task.businessStatus). */
export const TASK_STATUS: Record<
  RequestStatus,
  'requested' | 'on-hold' | 'in-progress' | 'completed' | 'rejected' | 'cancelled'
> = {
  logged: 'requested',
  'pending-authorization': 'on-hold',
  'in-review': 'in-progress',
  released: 'completed',
  denied: 'rejected',
  closed: 'cancelled',
};

export const STATUS_LABELS: Record<RequestStatus, string> = {
  logged: 'Logged',
  'pending-authorization': 'Pending authorization',
  'in-review': 'In review',
  released: 'Released',
  denied: 'Denied',
  closed: 'Closed',
};

export const REQUESTER_LABELS: Record<RequesterType, string> = {
  patient: 'Patient',
  'personal-representative': 'Personal representative',
  provider: 'Provider',
  payer: 'Payer',
  attorney: 'Attorney',
  'law-enforcement': 'Law enforcement',
  'court-order': 'Court order',
  subpoena: 'Subpoena',
  'public-health': 'Public health',
};

export function isRequesterType(value: unknown): value is RequesterType {
  return typeof value === 'string' && (REQUESTER_TYPES as readonly string[]).includes(value);
}

export function isRequestStatus(value: unknown): value is RequestStatus {
  return typeof value === 'string' && (REQUEST_STATUSES as readonly string[]).includes(value);
}

/** The purpose category of a request's purpose text (a known code, or `other`). */
export function purposeCategory(purpose: string): DisclosurePurpose {
  const p = purpose.trim().toLowerCase();
  return (PURPOSES as readonly string[]).includes(p) ? (p as DisclosurePurpose) : 'other';
}
