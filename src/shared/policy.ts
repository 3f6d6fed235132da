import type { Action, Role } from './vocabulary.ts';

/**
 * The permission table: per role, which resource types and actions are allowed.
 * Pure data and pure functions, testable without a database.
 */

const AUDIT = 'AuditEvent';

type Grant = { resources: '*' | readonly string[]; actions: readonly Action[] };

const READ: readonly Action[] = ['read', 'search'];
const WRITE: readonly Action[] = ['read', 'search', 'create', 'update'];
const CODING_TYPES = [
  'Encounter',
  'Condition',
  'Procedure',
  'Claim',
  'DetectedIssue',
  'ExplanationOfBenefit',
  'Task',
  'CodeSystem',
  'ValueSet',
  'CodingWork',
];

export const PERMISSIONS: Record<Role, readonly Grant[]> = {
  'him-technician': [
    { resources: '*', actions: WRITE },
    { resources: ['Patient', 'MpiReview'], actions: ['merge'] },
  ],
  coder: [
    { resources: '*', actions: READ },
    { resources: CODING_TYPES, actions: ['create', 'update'] },
  ],
  provider: [{ resources: '*', actions: WRITE }],
  'cancer-registrar': [
    { resources: '*', actions: READ },
    { resources: ['Task', 'Composition', 'DocumentReference'], actions: ['create', 'update'] },
  ],
  'roi-specialist': [
    { resources: '*', actions: [...READ, 'export', 'disclose'] },
    { resources: ['Task', 'Consent', 'Communication', 'DocumentReference'], actions: ['create', 'update'] },
  ],
  'privacy-officer': [
    { resources: '*', actions: [...READ, 'export'] },
    { resources: ['Consent', 'Task'], actions: ['create', 'update'] },
  ],
  'him-director': [{ resources: '*', actions: [...WRITE, 'delete', 'export', 'disclose', 'merge'] }],
  admin: [
    {
      resources: '*',
      actions: ['read', 'search', 'create', 'update', 'delete', 'export', 'disclose', 'merge'],
    },
  ],
  auditor: [{ resources: [AUDIT], actions: READ }],
  system: [{ resources: '*', actions: ['read', 'search', 'create', 'update', 'delete', 'export', 'merge'] }],
  // Their own compartment only: the access filter narrows every read to the linked Patient.
  patient: [{ resources: '*', actions: READ }],
};

/** Roles that may see sensitive (labelled) records without breaking the glass. */
export const SENSITIVE_ROLES: ReadonlySet<Role> = new Set<Role>(['privacy-officer', 'system']);

/** Only these roles may administer users. */
const USER_ADMINS: ReadonlySet<Role> = new Set<Role>(['admin']);
/** The audit trail is read by these roles; nobody writes it through the API. */
const AUDIT_READERS: ReadonlySet<Role> = new Set<Role>([
  'auditor',
  'privacy-officer',
  'admin',
  'him-director',
]);

/**
 * Reviewing a break-the-glass grant (`BreakGlassReview` update) attests that its reason held: the
 * privacy officer's duty, and the HIM director's (who reviews the privacy officer's own grants).
 * Reading the trail is not enough; nobody reviews their own grant (checked where it is written).
 */
const GLASS_REVIEWERS: ReadonlySet<Role> = new Set<Role>(['privacy-officer', 'him-director']);

/**
 * Release of information (`Disclosure`: requests, releases, the accounting of disclosures) is the
 * ROI specialist's duty and the HIM director's; the privacy officer reads requests and the
 * accounting. Listed by name, since the '*' grants of other roles must not reach it.
 */
const ROI_RIGHTS: Partial<Record<Role, readonly Action[]>> = {
  'roi-specialist': ['read', 'search', 'create', 'update', 'disclose'],
  'him-director': ['read', 'search', 'create', 'update', 'disclose'],
  admin: ['read', 'search', 'create', 'update', 'disclose'],
  'privacy-officer': ['read', 'search'],
};

/**
 * Amendment requests (`Amendment`, 45 CFR 164.526): logged, routed and tracked by HIM and ROI
 * staff; the author of the information (a provider) decides; the privacy officer follows them.
 */
const AMENDMENT_RIGHTS: Partial<Record<Role, readonly Action[]>> = {
  'roi-specialist': ['read', 'search', 'create', 'update'],
  'him-technician': ['read', 'search', 'create', 'update'],
  'him-director': ['read', 'search', 'create', 'update'],
  admin: ['read', 'search', 'create', 'update'],
  provider: ['read', 'search', 'update'],
  'privacy-officer': ['read', 'search'],
};

/**
 * Records retention: the schedule (`Retention`) is the HIM director's; legal holds (`LegalHold`)
 * are placed and released by the privacy officer (counsel's request) and the HIM director; a
 * destruction run (`DestructionRun`) is proposed by HIM staff, approved by a second person
 * (director or privacy officer, never the proposer: checked where it is approved) and carried
 * out by the director. Listed by name, since the '*' grants of other roles must not reach them.
 */
const HIM_STAFF = new Set<Role>(['him-technician', 'him-director', 'privacy-officer', 'admin']);
const RETENTION_RIGHTS = new Map<string, Partial<Record<Action, ReadonlySet<Role>>>>([
  [
    'Retention',
    {
      read: new Set<Role>([...HIM_STAFF, 'roi-specialist', 'provider']),
      update: new Set<Role>(['him-director', 'admin']),
    },
  ],
  [
    'LegalHold',
    {
      read: HIM_STAFF,
      search: HIM_STAFF,
      create: new Set<Role>(['privacy-officer', 'him-director', 'admin']),
      update: new Set<Role>(['privacy-officer', 'him-director', 'admin']),
    },
  ],
  [
    'DestructionRun',
    {
      read: HIM_STAFF,
      search: HIM_STAFF,
      create: new Set<Role>(['him-technician', 'him-director', 'admin']),
      update: new Set<Role>(['him-director', 'privacy-officer', 'admin']),
      delete: new Set<Role>(['him-director', 'admin']),
    },
  ],
]);

/**
 * Chart completeness: the rules are the medical staff's policy, changed by the HIM director;
 * waiving a deficiency is HIM staff's decision, not the provider's who owes it; physician queries
 * are sent by coders and CDI staff and answered (like documents signed) by providers only.
 * Reading follows the ordinary grants.
 */
const COMPLETENESS_RIGHTS = new Map<string, Partial<Record<Action, ReadonlySet<Role>>>>([
  ['CompletenessRules', { update: new Set<Role>(['him-director', 'admin']) }],
  ['DeficiencyWaiver', { update: new Set<Role>(['him-technician', 'him-director', 'admin']) }],
  [
    'PhysicianQuery',
    {
      create: new Set<Role>(['coder', 'him-technician', 'him-director', 'admin']),
      update: new Set<Role>(['provider']),
    },
  ],
  ['DocumentSignature', { update: new Set<Role>(['provider']) }],
]);

/**
 * The cancer registry (casefinding, abstracts, follow-up, NAACCR XML reports) is the cancer
 * registrar's work; the HIM director reads it and reports it. Listed by name, since the '*'
 * grants of other roles must not reach it.
 */
const REGISTRY_RIGHTS: Partial<Record<Role, readonly Action[]>> = {
  'cancer-registrar': ['read', 'search', 'create', 'update', 'export'],
  'him-director': ['read', 'search', 'export'],
  admin: ['read', 'search', 'create', 'update', 'export'],
  system: ['read', 'search', 'create', 'update', 'export'],
};

/**
 * Reports (src/reports): the operations reports (DNFB, coding, case mix, diagnoses, duplicates)
 * are HIM management's and staff's numbers; the privacy reports (break-the-glass, access volume)
 * are the privacy officer's and auditor's, and the HIM director's, never a coder's. `Report` is
 * the catalogue and the report route, open to every role that reads some report.
 */
const REPORT_READERS: Record<string, ReadonlySet<Role>> = {
  OperationsReport: new Set<Role>(['him-director', 'him-technician', 'coder', 'privacy-officer', 'admin']),
  PrivacyReport: new Set<Role>(['privacy-officer', 'auditor', 'him-director', 'admin']),
};
const REPORT_ACTIONS: readonly Action[] = ['read', 'search', 'export'];

function mayReadReports(role: Role, resource: string, action: Action): boolean {
  if (!REPORT_ACTIONS.includes(action)) return false;
  const readers = REPORT_READERS[resource];
  if (readers) return readers.has(role);
  return Object.values(REPORT_READERS).some((r) => r.has(role));
}

/**
 * Bulk Data `$export` (`BulkData` export): a copy of every chart at once leaves the building, so
 * it is for administrators, the HIM director and system clients (a warehouse, a payer feed), not
 * for every role that may export one release. What is in it still follows the caller's grants
 * and labels, type by type.
 */
const BULK_EXPORTERS: ReadonlySet<Role> = new Set<Role>(['admin', 'him-director', 'system']);

export function isAllowed(role: Role, resource: string, action: Action): boolean {
  // Every signed-in user may look at and end their own session, and break the glass.
  if (resource === 'Session') return true;
  if (resource === 'User' || resource === 'SmartApp') return USER_ADMINS.has(role);
  if (resource === AUDIT) return AUDIT_READERS.has(role) && (action === 'read' || action === 'search');
  if (resource === 'BreakGlassReview') return GLASS_REVIEWERS.has(role) && action === 'update';
  const completeness = COMPLETENESS_RIGHTS.get(resource)?.[action];
  if (completeness) return completeness.has(role);
  if (resource === 'Disclosure') return ROI_RIGHTS[role]?.includes(action) ?? false;
  const retention = RETENTION_RIGHTS.get(resource);
  if (retention) return retention[action]?.has(role) ?? false;
  if (resource === 'Amendment') return AMENDMENT_RIGHTS[role]?.includes(action) ?? false;
  if (resource === 'CancerRegistry') return REGISTRY_RIGHTS[role]?.includes(action) ?? false;
  if (resource === 'BulkData') return BULK_EXPORTERS.has(role) && action === 'export';
  if (resource === 'Report' || resource in REPORT_READERS) return mayReadReports(role, resource, action);
  return PERMISSIONS[role].some(
    (g) => (g.resources === '*' || g.resources.includes(resource)) && g.actions.includes(action),
  );
}

/**
 * Confidentiality codes (HL7 v3 Confidentiality and ActCode sensitivity) that make a record
 * sensitive: restricted, very restricted, behavioral health, substance use (42 CFR Part 2),
 * HIV, psychiatry, sexual and reproductive health, employee / VIP (celebrity).
 */
export const SENSITIVE_LABELS = [
  'R',
  'V',
  'BH',
  'ETH',
  'SUD',
  'HIV',
  'PSY',
  'SDV',
  'SEX',
  'EMP',
  'CEL',
  'VIP',
] as const;

export function deniedLabelsFor(role: Role): string[] {
  return SENSITIVE_ROLES.has(role) ? [] : [...SENSITIVE_LABELS];
}
