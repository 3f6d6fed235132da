import type { Bundle, Composition, Patient, Resource } from '@medplum/fhirtypes';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Accounting } from '../disclosure/accounting.ts';
import { checkResources } from '../fhir/definitions.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let server: TestServer;
let patient: Patient;
let empty: Patient;
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };

async function create<T extends Resource>(resource: T): Promise<T> {
  const res = await server.call('provider', 'POST', `/fhir/R4/${resource.resourceType}`, resource);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as T;
}

beforeAll(async () => {
  server = await startTestServer();
  patient = await create<Patient>({
    resourceType: 'Patient',
    name: [{ given: ['Maria'], family: 'Transferova' }],
    birthDate: '1958-03-14',
    gender: 'female',
  });
  empty = await create<Patient>({
    resourceType: 'Patient',
    name: [{ given: ['Nil'], family: 'Recordless' }],
  });
  const subject = { reference: `Patient/${patient.id ?? ''}` };
  await create({
    resourceType: 'Condition',
    subject,
    code: { text: 'Type 2 diabetes mellitus' },
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    recordedDate: '2020-05-01',
  });
  await create({
    resourceType: 'Condition',
    subject,
    meta: { security: [RESTRICTED] },
    code: { text: 'Sealed diagnosis' },
  });
  await create({
    resourceType: 'MedicationRequest',
    subject,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { text: 'Metformin 500 mg tablet' },
    dosageInstruction: [{ text: 'one tablet twice daily' }],
  });
  await create({
    resourceType: 'AllergyIntolerance',
    patient: subject,
    code: { text: 'Penicillin' },
    clinicalStatus: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
      ],
    },
    criticality: 'high',
    reaction: [{ manifestation: [{ text: 'Hives' }] }],
  });
  await create({
    resourceType: 'Procedure',
    subject,
    status: 'completed',
    code: { text: 'Appendectomy' },
    performedDateTime: '2011-07-02',
  });
  await create({
    resourceType: 'Observation',
    subject,
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { text: 'Hemoglobin A1c' },
    valueQuantity: { value: 7.2, unit: '%' },
    effectiveDateTime: '2024-02-10',
  });
}, 60_000);

afterAll(async () => server?.stop());

const sectionsOf = (bundle: Bundle): NonNullable<Composition['section']> =>
  (bundle.entry?.[0]?.resource as Composition).section ?? [];

describe('Patient/$summary', () => {
  it('answers an IPS-style document Bundle that is valid R4, each section listing its records', async () => {
    const res = await server.call('provider', 'GET', `/fhir/R4/Patient/${patient.id ?? ''}/$summary`);
    expect(res.status, await res.clone().text()).toBe(200);
    const bundle = (await res.json()) as Bundle;
    expect(checkResources([bundle])).toEqual([undefined]);
    expect(bundle.type).toBe('document');
    expect(bundle.identifier?.value).toMatch(/^urn:uuid:/);
    const composition = bundle.entry?.[0]?.resource as Composition;
    expect(composition.resourceType).toBe('Composition');
    expect(composition.type.coding?.[0]?.code).toBe('60591-5');
    expect(composition.subject?.reference).toBe(`Patient/${patient.id ?? ''}`);
    const sections = sectionsOf(bundle);
    expect(sections.map((s) => s.code?.coding?.[0]?.code)).toEqual([
      '11450-4',
      '10160-0',
      '48765-2',
      '47519-4',
      '30954-2',
    ]);
    // Every section reference resolves inside the document.
    const inside = new Set(bundle.entry?.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
    for (const section of sections) {
      expect(section.entry?.length, section.title).toBe(1);
      for (const entry of section.entry ?? []) expect(inside.has(entry.reference ?? '')).toBe(true);
    }
    expect(sections[2]?.text?.div).toContain('Penicillin');
    // A provider does not see the restricted diagnosis, so it is not sent on.
    expect(JSON.stringify(bundle)).not.toContain('Sealed diagnosis');
  });

  it('says a section is empty rather than leaving it out', async () => {
    const res = await server.call('provider', 'GET', `/fhir/R4/Patient/${empty.id ?? ''}/$summary`);
    const bundle = (await res.json()) as Bundle;
    expect(checkResources([bundle])).toEqual([undefined]);
    const allergies = sectionsOf(bundle)[2];
    expect(allergies?.entry).toBeUndefined();
    expect(allergies?.emptyReason?.coding?.[0]?.code).toBe('unavailable');
    expect(allergies?.text?.div).toContain('No known allergies recorded');
  });

  it('prints the same summary as a readable PDF', async () => {
    const res = await server.call('provider', 'GET', `/transfer/patients/${patient.id ?? ''}/summary.pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
    const text = (await extractText(pdf, { mergePages: true })).text;
    for (const words of [
      'Maria Transferova',
      'Born: 1958-03-14',
      'Problems',
      'Type 2 diabetes mellitus',
      'Metformin 500 mg tablet',
      'Penicillin',
      'Hives',
      'Appendectomy',
      'Hemoglobin A1c',
      '7.2 %',
      'Page 1 of',
    ])
      expect(text).toContain(words);
    expect(text).not.toContain('Sealed diagnosis');
  });

  it('records the release as a disclosure when a recipient is named', async () => {
    const id = patient.id ?? '';
    const accounting = async (): Promise<Accounting> =>
      (await (
        await server.call('roi-specialist', 'GET', `/disclosure/accounting?patient=${id}`)
      ).json()) as Accounting;
    expect((await accounting()).disclosures).toEqual([]);
    const sent = await server.call(
      'provider',
      'GET',
      `/fhir/R4/Patient/${id}/$summary?recipient=${encodeURIComponent('Riverside Rehab')}&purpose=continuing%20care`,
    );
    expect(sent.status).toBe(200);
    // Sent for treatment: exempt from the accounting (164.528(a)(1)(i)), and counted as such.
    expect((await accounting()).exempted.tpo).toBe(1);
    const reported = await server.call(
      'provider',
      'GET',
      `/transfer/patients/${id}/summary.pdf?recipient=County%20Health&purpose=reportable%20condition&basis=public-health`,
    );
    expect(reported.status).toBe(200);
    const listed = (await accounting()).disclosures;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      recipient: 'County Health',
      purpose: 'reportable condition',
      basis: 'public-health',
    });
    expect(listed[0]?.description).toMatch(/^Patient summary document urn:uuid:.*1 problems/);
  });

  it('refuses what it cannot do with an OperationOutcome', async () => {
    const id = patient.id ?? '';
    expect((await server.call('provider', 'GET', `/fhir/R4/Patient/${id}/$summary?purpose=x`)).status).toBe(
      400,
    );
    expect(
      (await server.call('provider', 'GET', `/fhir/R4/Patient/${id}/$summary?recipient=x&basis=bogus`))
        .status,
    ).toBe(400);
    expect((await server.call('provider', 'GET', '/fhir/R4/Patient/no-such-patient/$summary')).status).toBe(
      404,
    );
    expect((await server.call('auditor', 'GET', `/fhir/R4/Patient/${id}/$summary`)).status).toBe(403);
    expect((await server.call(null, 'GET', `/transfer/patients/${id}/summary.pdf`)).status).toBe(401);
  });
});
