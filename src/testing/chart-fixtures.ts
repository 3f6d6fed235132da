import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { TestServer } from './test-server.ts';

/** Small charts for the completeness tests, written through the FHIR API as one transaction. */

export interface ChartSpec {
  classCode?: string;
  status?: 'finished' | 'in-progress';
  admitted: string;
  discharged?: string;
  attending: string;
  /** LOINC codes of notes filed to the encounter, signed unless listed in `unsigned`. */
  notes?: string[];
  unsigned?: string[];
  /** ICD-10-PCS codes of procedures done by `surgeon` (default the attending). */
  procedures?: string[];
  surgeon?: string;
}

export interface Chart {
  patientId: string;
  encounterId: string;
  ids: Map<string, string>;
}

const LOINC = 'http://loinc.org';

export async function createPractitioner(
  server: TestServer,
  family: string,
  username?: string,
): Promise<string> {
  const res = await server.call('admin', 'POST', '/fhir/R4/Practitioner', {
    resourceType: 'Practitioner',
    name: [{ family, given: ['Pat'], prefix: ['Dr.'] }],
    ...(username ? { identifier: [{ system: 'urn:custodian:user', value: username }] } : {}),
  });
  if (res.status !== 201) throw new Error(`practitioner: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export function noteResource(
  code: string,
  opts: { patient: string; encounter: string; author: string; date: string; signed: boolean },
): Resource {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: LOINC, code }] },
    subject: { reference: opts.patient },
    date: opts.date,
    author: [{ reference: `Practitioner/${opts.author}` }],
    ...(opts.signed ? { authenticator: { reference: `Practitioner/${opts.author}` } } : {}),
    content: [
      { attachment: { contentType: 'text/plain', data: Buffer.from(`note ${code}`).toString('base64') } },
    ],
    context: { encounter: [{ reference: opts.encounter }] },
  };
}

export async function createChart(server: TestServer, spec: ChartSpec): Promise<Chart> {
  const patient = `urn:uuid:${randomUUID()}`;
  const encounter = `urn:uuid:${randomUUID()}`;
  const entries: BundleEntry[] = [
    {
      fullUrl: patient,
      resource: {
        resourceType: 'Patient',
        name: [{ family: `Chart${randomUUID().slice(0, 6)}`, given: ['Test'] }],
      },
      request: { method: 'POST', url: 'Patient' },
    },
    {
      fullUrl: encounter,
      resource: {
        resourceType: 'Encounter',
        status: spec.status ?? 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: spec.classCode ?? 'IMP' },
        subject: { reference: patient },
        participant: [
          {
            type: [
              {
                coding: [
                  { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND' },
                ],
              },
            ],
            individual: { reference: `Practitioner/${spec.attending}` },
          },
        ],
        period: spec.discharged ? { start: spec.admitted, end: spec.discharged } : { start: spec.admitted },
      },
      request: { method: 'POST', url: 'Encounter' },
    },
  ];
  for (const code of spec.procedures ?? [])
    entries.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: {
        resourceType: 'Procedure',
        status: 'completed',
        code: { coding: [{ system: 'http://www.cms.gov/Medicare/Coding/ICD10', code }] },
        subject: { reference: patient },
        encounter: { reference: encounter },
        performedDateTime: spec.admitted,
        performer: [{ actor: { reference: `Practitioner/${spec.surgeon ?? spec.attending}` } }],
      },
      request: { method: 'POST', url: 'Procedure' },
    });
  for (const code of spec.notes ?? [])
    entries.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: noteResource(code, {
        patient,
        encounter,
        author: spec.attending,
        date: spec.discharged ?? spec.admitted,
        signed: !(spec.unsigned ?? []).includes(code),
      }),
      request: { method: 'POST', url: 'DocumentReference' },
    });
  const res = await server.call('admin', 'POST', '/fhir/R4', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries,
  } satisfies Bundle);
  if (res.status !== 200) throw new Error(`chart: ${res.status} ${await res.text()}`);
  const out = (await res.json()) as Bundle;
  const ids = new Map<string, string>();
  entries.forEach((e, i) => {
    const location = out.entry?.[i]?.response?.location ?? '';
    ids.set(e.fullUrl ?? '', /^[A-Za-z]+\/([^/]+)/.exec(location)?.[1] ?? '');
  });
  return { patientId: ids.get(patient) ?? '', encounterId: ids.get(encounter) ?? '', ids };
}

export const NOTES = {
  historyAndPhysical: '34117-2',
  operativeNote: '11504-8',
  dischargeSummary: '18842-5',
  consent: '59284-0',
} as const;
