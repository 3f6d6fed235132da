import type { Consent } from '@medplum/fhirtypes';
import type { ReleaseRequest } from './disclosure-api.ts';

/**
 * The words of the ROI screens. The server's vocabulary lives in src/disclosure (runtime values
 * the web application may not import), so the labels a person reads are kept here.
 */

export const REQUESTER_TYPES: Array<[string, string]> = [
  ['patient', 'Patient'],
  ['personal-representative', 'Personal representative'],
  ['provider', 'Provider'],
  ['payer', 'Payer'],
  ['attorney', 'Attorney'],
  ['law-enforcement', 'Law enforcement'],
  ['court-order', 'Court order'],
  ['subpoena', 'Subpoena'],
  ['public-health', 'Public health'],
];

export const PURPOSES: Array<[string, string]> = [
  ['personal', 'Personal use (the patient)'],
  ['treatment', 'Treatment'],
  ['payment', 'Payment'],
  ['operations', 'Health care operations'],
  ['legal', 'Legal'],
  ['judicial', 'Court or judicial proceeding'],
  ['law-enforcement', 'Law enforcement'],
  ['public-health', 'Public health'],
  ['health-oversight', 'Health oversight'],
  ['research', 'Research'],
  ['other', 'Other'],
];

export const STATUSES: Array<[string, string]> = [
  ['logged', 'Logged'],
  ['pending-authorization', 'Pending authorization'],
  ['in-review', 'In review'],
  ['released', 'Released'],
  ['denied', 'Denied'],
  ['closed', 'Closed'],
];

export const RECORD_TYPES: Array<[string, string]> = [
  ['Encounter', 'Visits'],
  ['Condition', 'Problems and diagnoses'],
  ['Procedure', 'Procedures'],
  ['Observation', 'Results and vital signs'],
  ['DiagnosticReport', 'Reports'],
  ['MedicationRequest', 'Medications'],
  ['AllergyIntolerance', 'Allergies'],
  ['Immunization', 'Immunizations'],
  ['DocumentReference', 'Clinical documents'],
];

export const ELEMENT_LABELS: Record<string, string> = {
  description: 'Description of the information',
  discloser: 'Who may disclose',
  recipient: 'Who may receive it',
  purpose: 'Purpose',
  expiration: 'Expiration date or event',
  signature: 'Signature',
  date: 'Date signed',
  'revocation-statement': 'Right-to-revoke statement',
  'redisclosure-statement': 'Redisclosure statement',
  'conditioning-statement': 'No-conditioning statement',
};

export const SENSITIVE_LABELS: Array<[string, string]> = [
  ['SUD', 'Substance use disorder records (42 CFR Part 2)'],
  ['HIV', 'HIV information'],
  ['PSYTHPN', 'Psychotherapy notes'],
  ['GDIS', 'Genetic information'],
];

const lookup = (table: Array<[string, string]>, code: string): string =>
  table.find(([c]) => c === code)?.[1] ?? code;
export const requesterLabel = (code: string): string => lookup(REQUESTER_TYPES, code);
export const statusLabel = (code: string): string => lookup(STATUSES, code);
export const purposeLabel = (code: string): string => lookup(PURPOSES, code);

/** The clock in words: "Overdue by 3 days", "Due in 2 days", "Due today", "On time". */
export function clockWords(request: ReleaseRequest): { text: string; tone: 'warn' | 'danger' | '' } {
  const { state, daysLeft = 0 } = request.clock;
  const days = (n: number): string => `${n} day${n === 1 ? '' : 's'}`;
  switch (state) {
    case 'overdue':
      return { text: `Overdue by ${days(-daysLeft)}`, tone: 'danger' };
    case 'due-today':
      return { text: 'Due today', tone: 'warn' };
    case 'near-due':
      return { text: `Due in ${days(daysLeft)}`, tone: 'warn' };
    case 'on-time':
      return { text: `${days(daysLeft)} left`, tone: '' };
    case 'stopped':
      return { text: statusLabel(request.status), tone: '' };
  }
}

export interface AuthorizationFormValues {
  signedOn: string;
  signedBy: string;
  discloser: string;
  recipient: string;
  purpose: string;
  description: string;
  expires: string;
  expiryEvent: string;
  statements: { revocation: boolean; redisclosure: boolean; conditioning: boolean };
  labels: string[];
  formTitle: string;
}

const STATEMENT_PREFIX = 'urn:custodian:authorization-statement:';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

/** The authorization form as the FHIR Consent the server checks (src/disclosure/authorization.ts). */
export function consentFromForm(patientId: string, f: AuthorizationFormValues): Consent {
  const statements = (Object.keys(f.statements) as Array<keyof AuthorizationFormValues['statements']>).filter(
    (s) => f.statements[s],
  );
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '64292-6' }] }],
    patient: { reference: `Patient/${patientId}` },
    ...(f.signedOn ? { dateTime: f.signedOn } : {}),
    ...(f.signedBy ? { performer: [{ display: f.signedBy }] } : {}),
    ...(f.discloser ? { organization: [{ display: f.discloser }] } : {}),
    ...(f.formTitle ? { sourceAttachment: { title: f.formTitle } } : {}),
    ...(statements.length ? { policy: statements.map((s) => ({ uri: `${STATEMENT_PREFIX}${s}` })) } : {}),
    ...(f.expiryEvent
      ? { extension: [{ url: 'urn:custodian:fhir:consent-expiry-event', valueString: f.expiryEvent }] }
      : {}),
    provision: {
      type: 'permit',
      ...(f.expires ? { period: { end: f.expires } } : {}),
      ...(f.recipient
        ? {
            actor: [
              {
                role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] },
                reference: { display: f.recipient },
              },
            ],
          }
        : {}),
      ...(f.purpose
        ? { purpose: [{ system: 'urn:custodian:roi-purpose', code: f.purpose, display: f.purpose }] }
        : {}),
      ...(f.description ? { code: [{ text: f.description }] } : {}),
      ...(f.labels.length
        ? {
            securityLabel: f.labels.map((code) => ({
              system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
              code,
            })),
          }
        : {}),
    },
  };
}
