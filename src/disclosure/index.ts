/** Public surface of release of information (src/disclosure/README.md). */
export { registerDisclosureRoutes, type DisclosureDeps } from './routes.ts';
export type { ReleaseRequest, PatientSummary } from './requests.ts';
export type { AuthorizationCheck, AuthorizationElement } from './authorization.ts';
export {
  AUTHORIZATION_ELEMENTS,
  ELEMENT_LABELS,
  STATEMENT_PREFIX,
  EXPIRY_EVENT_URL,
} from './authorization.ts';
export {
  addDays,
  clockRulesFor,
  HIPAA_CLOCK,
  isCalendarDate,
  today,
  type Clock,
  type ClockRules,
  type ClockState,
} from './legal-clock.ts';
export { DEFAULT_FEES, feeRulesFrom, feeRulesFromFile, type FeeRules, type FeeSchedule } from './fees.ts';
/** The PDF pieces of release packets, for other certificates and letters (retention). */
export { heading, line, newPdf, printable, stampPages, type Pdf } from './pdf-document.ts';
export { FACILITY } from './packet-pdf.ts';
export type { AmendmentView } from './amendments.ts';
export type { AmendmentStatus, DenialBasis } from './amendment-task.ts';
export { DENIAL_BASES, AMENDMENT_STATUSES } from './amendment-task.ts';
export type { RequesterType, RequestStatus, Delivery } from './terms.ts';
export { REQUESTER_TYPES, REQUEST_STATUSES } from './terms.ts';
export type { Fee } from './fees.ts';
export type { RecordScope } from './selection.ts';
export { seedDemoRequests } from './demo-requests.ts';
export { seedDemoAmendments } from './demo-amendments.ts';
export type { Accounting, AccountedDisclosure } from './accounting.ts';
/** A disclosure made outside the ROI workflow (a transfer summary sent on), as a release records one. */
export { recordDisclosure } from './accounting.ts';
export type { ReleasePreview, ReleaseResult } from './release.ts';
export { destroyReleasedPackets } from './release.ts';
