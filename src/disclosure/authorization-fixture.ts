import type { Consent } from '@medplum/fhirtypes';
import { STATEMENT_PREFIX } from './authorization.ts';

/**
 * A complete HIPAA authorization form as a FHIR Consent (tests and demo data start from it and
 * take elements away or add labels).
 */
export function authorizationForm(
  patientId: string,
  options: { recipient?: string; expires?: string; labels?: string[]; signed?: string } = {},
): Consent {
  const participation = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '64292-6' }] }],
    patient: { reference: `Patient/${patientId}` },
    dateTime: options.signed ?? '2024-01-10',
    performer: [{ reference: `Patient/${patientId}` }],
    organization: [{ display: 'Custodian General Hospital, Health Information Management' }],
    sourceAttachment: { contentType: 'application/pdf', title: 'Signed authorization form' },
    policy: ['revocation', 'redisclosure', 'conditioning'].map((s) => ({ uri: `${STATEMENT_PREFIX}${s}` })),
    provision: {
      type: 'permit',
      period: { start: options.signed ?? '2024-01-10', end: options.expires ?? '2099-12-31' },
      actor: [
        {
          role: { coding: [{ system: participation, code: 'IRCP' }] },
          reference: { display: options.recipient ?? 'Smith & Jones LLP' },
        },
      ],
      purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HLEGAL' }],
      code: [{ text: 'Records of care, 2020 to date' }],
      ...(options.labels?.length
        ? {
            securityLabel: options.labels.map((code) => ({
              system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
              code,
            })),
          }
        : {}),
    },
  };
}
