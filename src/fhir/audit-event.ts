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

const REST_TYPE: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  code: 'rest',
  display: 'RESTful Operation',
};
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

const TYPE_BY_ACTION: Partial<Record<AuditAction, Coding>> = {
  login: { system: DCM, code: '110114', display: 'User Authentication' },
  logout: { system: DCM, code: '110114', display: 'User Authentication' },
  export: { system: DCM, code: '110106', display: 'Export' },
  disclose: { system: DCM, code: '110106', display: 'Export' },
  'break-glass': { system: DCM, code: '110113', display: 'Security Alert' },
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

export function toAuditEvent(id: string, entry: AuditEntry, recorded: string): AuditEvent {
  const patientEntities = (entry.patientIds ?? []).map((p) => ({
    what: { reference: `Patient/${p}` },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  }));
  const named = new Set((entry.patientIds ?? []).map((p) => `Patient/${p}`));
  const otherEntities = (entry.entities ?? [])
    .filter((e) => !named.has(e))
    .map((e) => ({ what: { reference: e } }));
  const queryEntity = entry.query
    ? [
        {
          type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2' },
          query: Buffer.from(entry.query).toString('base64'),
          description: entry.query,
        },
      ]
    : [];
  const entities = [...patientEntities, ...otherEntities, ...queryEntity];
  return {
    resourceType: 'AuditEvent',
    id,
    type: TYPE_BY_ACTION[entry.action] ?? REST_TYPE,
    subtype: [{ system: 'urn:custodian:audit-action', code: entry.action }],
    action: CRUDE[entry.action],
    recorded,
    outcome: OUTCOME_CODE[entry.outcome],
    ...(entry.detail ? { outcomeDesc: entry.detail } : {}),
    ...(entry.purpose
      ? {
          purposeOfEvent: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: entry.purpose }],
            },
          ],
        }
      : {}),
    agent: [
      {
        who: { identifier: { system: 'urn:custodian:user', value: entry.username }, display: entry.username },
        name: entry.username,
        ...(entry.userId ? { altId: entry.userId } : {}),
        requestor: true,
        ...(entry.role ? { role: [{ coding: [{ system: 'urn:custodian:role', code: entry.role }] }] } : {}),
        ...(entry.purpose
          ? {
              purposeOfUse: [
                {
                  coding: [
                    { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: entry.purpose },
                  ],
                },
              ],
            }
          : {}),
        ...(entry.sourceAddress ? { network: { address: entry.sourceAddress, type: '2' as const } } : {}),
      },
    ],
    source: {
      observer: { display: 'Custodian' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4' }],
    },
    ...(entities.length > 0 ? { entity: entities } : {}),
  };
}
