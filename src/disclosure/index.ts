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
export { clockRulesFor, HIPAA_CLOCK, type Clock, type ClockRules, type ClockState } from './legal-clock.ts';
export type { RequesterType, RequestStatus, Delivery } from './terms.ts';
export { REQUESTER_TYPES, REQUEST_STATUSES } from './terms.ts';
export type { Fee } from './fees.ts';
export type { RecordScope } from './selection.ts';
export { seedDemoRequests } from './demo-requests.ts';
export type { Accounting, AccountedDisclosure } from './accounting.ts';
export type { ReleasePreview, ReleaseResult } from './release.ts';
