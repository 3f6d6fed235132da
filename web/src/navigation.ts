import { isAllowed, type Action, type Role } from '../../src/shared/index.ts';

/**
 * The application's one navigation table. Each HIM screen adds a row here (duplicates
 * worklist, coding, completeness, release of information, registry, reports); the menu shows
 * a row only to roles the server's permission table allows (src/shared/policy.ts).
 */
export interface NavItem {
  /** Path below /app. */
  path: string;
  label: string;
  /** What the screen needs; the menu hides it from roles without that permission. */
  access: { resource: string; action: Action };
}

export const NAVIGATION: NavItem[] = [
  { path: '/', label: 'Home', access: { resource: 'Session', action: 'read' } },
  { path: '/search', label: 'Patient search', access: { resource: 'Patient', action: 'search' } },
  {
    path: '/coding/worklist',
    label: 'Coding worklist',
    access: { resource: 'CodingWork', action: 'update' },
  },
  { path: '/coding/codes', label: 'Code search', access: { resource: 'CodeSystem', action: 'read' } },
  { path: '/duplicates', label: 'Duplicates', access: { resource: 'MpiReview', action: 'merge' } },
  {
    path: '/completeness',
    label: 'Chart completeness',
    access: { resource: 'DeficiencyWaiver', action: 'update' },
  },
  {
    path: '/completeness/inbox',
    label: 'My inbox',
    access: { resource: 'DocumentSignature', action: 'update' },
  },
  {
    path: '/completeness/indexing',
    label: 'Indexing queue',
    access: { resource: 'DeficiencyWaiver', action: 'update' },
  },
  {
    path: '/completeness/delinquency',
    label: 'Delinquency',
    access: { resource: 'CompletenessReport', action: 'read' },
  },
  {
    path: '/completeness/rules',
    label: 'Completeness rules',
    access: { resource: 'CompletenessRules', action: 'update' },
  },
  {
    path: '/disclosure',
    label: 'Release of information',
    access: { resource: 'Disclosure', action: 'search' },
  },
  {
    path: '/amendments',
    label: 'Amendments',
    access: { resource: 'Amendment', action: 'search' },
  },
  {
    path: '/retention/holds',
    label: 'Legal holds',
    access: { resource: 'LegalHold', action: 'search' },
  },
  {
    path: '/retention/destruction',
    label: 'Destruction',
    access: { resource: 'DestructionRun', action: 'search' },
  },
  {
    path: '/registry',
    label: 'Suspense queue',
    access: { resource: 'CancerRegistry', action: 'update' },
  },
  {
    path: '/registry/follow-up',
    label: 'Follow-up',
    access: { resource: 'CancerRegistry', action: 'update' },
  },
  {
    path: '/registry/export',
    label: 'NAACCR export',
    access: { resource: 'CancerRegistry', action: 'export' },
  },
  {
    path: '/reports/director',
    label: 'HIM dashboard',
    access: { resource: 'OperationsReport', action: 'read' },
  },
  {
    path: '/reports/coding',
    label: 'Coding dashboard',
    access: { resource: 'OperationsReport', action: 'read' },
  },
  {
    path: '/reports/privacy',
    label: 'Privacy dashboard',
    access: { resource: 'PrivacyReport', action: 'read' },
  },
  { path: '/reports/access', label: 'Access report', access: { resource: 'AuditEvent', action: 'read' } },
  {
    path: '/reports/break-glass',
    label: 'Break-the-glass review',
    access: { resource: 'AuditEvent', action: 'read' },
  },
  { path: '/reports/audit', label: 'Audit trail', access: { resource: 'AuditEvent', action: 'read' } },
  { path: '/smart/apps', label: 'SMART apps', access: { resource: 'SmartApp', action: 'read' } },
];

export function navigationFor(role: Role): NavItem[] {
  return NAVIGATION.filter((item) => isAllowed(role, item.access.resource, item.access.action));
}

/** Human labels for roles and purposes of use (HL7 v3 PurposeOfUse). */
export const ROLE_LABELS: Record<Role, string> = {
  'him-technician': 'HIM technician',
  coder: 'Coder',
  provider: 'Provider',
  'cancer-registrar': 'Cancer registrar',
  'roi-specialist': 'Release of information',
  'privacy-officer': 'Privacy officer',
  'him-director': 'HIM director',
  admin: 'Administrator',
  auditor: 'Auditor',
  system: 'System client',
  patient: 'Patient',
};
