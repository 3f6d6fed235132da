import type { AuditEvent, Coding } from '@medplum/fhirtypes';
import type { Purpose, Role } from '../shared/index.ts';

/** What happened, in the words of the audit trail. */
export const AUDIT_ACTIONS = [
  'read',
  'vread',
  'search',
  'history',
  'create',
  'update',
  'delete',
  'transaction',
  'operation',
  'export',
  'merge',
  'disclose',
  'login',
  'logout',
  'break-glass',
  'admin',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'denied' | 'failure';

/** One audit entry before it becomes a FHIR AuditEvent. */
export interface AuditEntry {
  action: AuditAction;
  outcome: AuditOutcome;
  /** The user name, or what a failed login claimed. */
  username: string;
  userId?: string | undefined;
  role?: Role | undefined;
  purpose?: Purpose | undefined;
  sourceAddress?: string | undefined;
  patientIds?: string[] | undefined;
  /** References such as `Observation/123`. */
  entities?: string[] | undefined;
  /** The request, e.g. `GET /fhir/R4/Patient?name=x`. */
  query?: string | undefined;
  detail?: string | undefined;
}

// Every object below is written with its keys in sorted order (as canonicalJson sorts them), so
// an event's JSON.stringify is its canonical text: the chain hashes it without sorting again
// (src/fhir/audit-trail.ts; audit-event.test.ts holds the two equal for every shape of entry).
const REST_TYPE: Coding = {
  code: 'rest',
  display: 'RESTful Operation',
  system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
};
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

const TYPE_BY_ACTION: Partial<Record<AuditAction, Coding>> = {
  login: { code: '110114', display: 'User Authentication', system: DCM },
  logout: { code: '110114', display: 'User Authentication', system: DCM },
  export: { code: '110106', display: 'Export', system: DCM },
  disclose: { code: '110106', display: 'Export', system: DCM },
  'break-glass': { code: '110113', display: 'Security Alert', system: DCM },
};

const CRUDE: Record<AuditAction, AuditEvent['action']> = {
  read: 'R',
  vread: 'R',
  search: 'E',
  history: 'R',
  create: 'C',
  update: 'U',
  delete: 'D',
  transaction: 'E',
  operation: 'E',
  export: 'R',
  merge: 'U',
  disclose: 'R',
  login: 'E',
  logout: 'E',
  'break-glass': 'E',
  admin: 'E',
};

const OUTCOME_CODE: Record<AuditOutcome, AuditEvent['outcome']> = { success: '0', denied: '4', failure: '8' };

/**
 * Records one AuditEvent names at most. A read of a whole population (the MPI training on every
 * patient, a bulk export) would otherwise be one event naming 100,000 patients: its index rows
 * grow past what one statement builds in reasonable time, and the chain lock is held meanwhile.
 */
export const AUDIT_EVENT_MAX_RECORDS = 500;

/**
 * The entry as the events that record it: one, or for more than AUDIT_EVENT_MAX_RECORDS
 * patients or records, consecutive parts each naming a slice of them (same user, action, query),
 * their detail saying which part they are. The access report finds each patient in its part.
 */
export function inBoundedParts(entry: AuditEntry): AuditEntry[] {
  const patients = entry.patientIds ?? [];
  const named = new Set(patients.map((p) => `Patient/${p}`));
  const others = (entry.entities ?? []).filter((e) => !named.has(e));
  const max = AUDIT_EVENT_MAX_RECORDS;
  const parts = Math.ceil(Math.max(patients.length, others.length) / max);
  if (parts <= 1) return [entry];
  return Array.from({ length: parts }, (_, k): AuditEntry => {
    const part = `part ${k + 1} of ${parts}`;
    return {
      ...entry,
      patientIds: patients.slice(k * max, (k + 1) * max),
      entities: others.slice(k * max, (k + 1) * max),
      detail: entry.detail ? `${entry.detail} (${part})` : part,
    };
  });
}

const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const PERSON = {
  code: '1',
  display: 'Person',
  system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
};
const PATIENT_ROLE = {
  code: '1',
  display: 'Patient',
  system: 'http://terminology.hl7.org/CodeSystem/object-role',
};
const QUERY_TYPE = { code: '2', system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type' };
const SOURCE = {
  observer: { display: 'Custodian' },
  type: [{ code: '4', system: 'http://terminology.hl7.org/CodeSystem/security-source-type' }],
};

/** The entry as an AuditEvent, its keys in sorted order at every level (see REST_TYPE). */
export function toAuditEvent(id: string, entry: AuditEntry, recorded: string): AuditEvent {
  const patientEntities = (entry.patientIds ?? []).map((p) => ({
    role: PATIENT_ROLE,
    type: PERSON,
    what: { reference: `Patient/${p}` },
  }));
  const named = new Set((entry.patientIds ?? []).map((p) => `Patient/${p}`));
  const otherEntities = (entry.entities ?? [])
    .filter((e) => !named.has(e))
    .map((e) => ({ what: { reference: e } }));
  const queryEntity = entry.query
    ? [{ description: entry.query, query: Buffer.from(entry.query).toString('base64'), type: QUERY_TYPE }]
    : [];
  const entities = [...patientEntities, ...otherEntities, ...queryEntity];
  const purpose = entry.purpose ? [{ coding: [{ code: entry.purpose, system: ACT_REASON }] }] : undefined;
  return {
    action: CRUDE[entry.action],
    agent: [
      {
        ...(entry.userId ? { altId: entry.userId } : {}),
        name: entry.username,
        ...(entry.sourceAddress ? { network: { address: entry.sourceAddress, type: '2' as const } } : {}),
        ...(purpose ? { purposeOfUse: purpose } : {}),
        requestor: true,
        ...(entry.role ? { role: [{ coding: [{ code: entry.role, system: 'urn:custodian:role' }] }] } : {}),
        who: { display: entry.username, identifier: { system: 'urn:custodian:user', value: entry.username } },
      },
    ],
    ...(entities.length > 0 ? { entity: entities } : {}),
    id,
    outcome: OUTCOME_CODE[entry.outcome],
    ...(entry.detail ? { outcomeDesc: entry.detail } : {}),
    ...(purpose ? { purposeOfEvent: purpose } : {}),
    recorded,
    resourceType: 'AuditEvent',
    source: SOURCE,
    subtype: [{ code: entry.action, system: 'urn:custodian:audit-action' }],
    type: TYPE_BY_ACTION[entry.action] ?? REST_TYPE,
  };
}
