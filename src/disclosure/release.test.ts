import type { Bundle, Consent, OperationOutcome, Patient, Resource, Task } from '@medplum/fhirtypes';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../cli/context.ts';
import { FhirStore } from '../fhir/store.ts';
import type { Role } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { Accounting } from './accounting.ts';
import { authorizationForm } from './authorization-fixture.ts';
import { addDays, today } from './legal-clock.ts';
import { backfillReleaseTimes, type ReleasePreview, type ReleaseResult } from './release.ts';
import type { ReleaseRequest } from './requests.ts';

let server: TestServer;
let patientId = '';
const ROI: Role = 'roi-specialist';
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const label = (code: string) => ({ meta: { security: [{ system: ACT, code }] } });

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function pdfPages(res: Response): Promise<string[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  const pdf = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
  return (await extractText(pdf, { mergePages: false })).text;
}

const note = (text: string) => [
  { attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } },
];

beforeAll(async () => {
  server = await startTestServer();
  const patient = await json<Patient>(
    await server.call('admin', 'POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Okonkwo', given: ['Adaeze'] }],
      birthDate: '1982-09-14',
      identifier: [{ type: { coding: [{ code: 'MR' }] }, system: 'urn:mrn', value: 'M55501' }],
    }),
    201,
  );
  patientId = patient.id ?? '';
  const subject = { reference: `Patient/${patientId}` };
  const encounter = await json<Resource>(
    await server.call('admin', 'POST', '/fhir/R4/Encounter', {
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'IMP', display: 'inpatient' },
      type: [{ text: 'Inpatient admission' }],
      subject,
      period: { start: '2023-05-01', end: '2023-05-03' },
    }),
    201,
  );
  const records: Resource[] = [
    {
      resourceType: 'Condition',
      subject,
      code: { text: 'Type 2 diabetes mellitus' },
      recordedDate: '2023-05-01',
      encounter: { reference: `Encounter/${encounter.id}` },
    },
    {
      resourceType: 'Observation',
      status: 'final',
      subject,
      code: { text: 'Glucose' },
      effectiveDateTime: '2023-05-01',
      valueQuantity: { value: 7.2, unit: 'mmol/L' },
    },
    {
      resourceType: 'DocumentReference',
      status: 'current',
      subject,
      type: { text: 'Discharge summary' },
      date: '2023-05-03T10:00:00Z',
      content: note('Discharged home in stable condition.'),
    },
    {
      resourceType: 'Condition',
      ...label('SUD'),
      subject,
      code: { text: 'Opioid use disorder' },
      recordedDate: '2023-06-01',
    },
    {
      resourceType: 'DocumentReference',
      ...label('PSYTHPN'),
      status: 'current',
      subject,
      type: { text: 'Psychotherapy note' },
      date: '2023-06-02T10:00:00Z',
      content: note('Session notes about childhood.'),
    },
    {
      resourceType: 'Observation',
      ...label('HIV'),
      status: 'final',
      subject,
      code: { text: 'HIV-1 antibody' },
      effectiveDateTime: '2023-07-01',
      valueString: 'negative',
    },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'AMB' },
      type: [{ text: 'Clinic visit' }],
      subject,
      period: { start: '2019-01-10' },
    },
  ] as Resource[];
  for (const r of records)
    await json(await server.call('admin', 'POST', `/fhir/R4/${r.resourceType}`, r), 201);
});
afterAll(async () => server?.stop());

const create = async (overrides: Record<string, unknown>): Promise<ReleaseRequest> =>
  json<ReleaseRequest>(
    await server.call(ROI, 'POST', '/disclosure/requests', {
      patient: `Patient/${patientId}`,
      requesterType: 'patient',
      recipient: 'Adaeze Okonkwo',
      purpose: 'personal',
      received: addDays(today(), -2),
      ...overrides,
    }),
    201,
  );

const release = (id: string): Promise<Response> =>
  server.call(ROI, 'POST', `/disclosure/requests/${id}/release`);

const blockers = async (res: Response): Promise<string[]> => {
  expect(res.status).toBe(409);
  const outcome = (await res.json()) as OperationOutcome;
  return (outcome.issue ?? []).map((i) => i.details?.coding?.[0]?.code ?? '');
};

describe('release', () => {
  it("releases a patient's own request as a stamped PDF packet and a FHIR Bundle, without psychotherapy notes", async () => {
    const request = await create({ delivery: ['pdf', 'bundle'] });
    const preview = await json<ReleasePreview>(
      await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/preview`),
    );
    expect(preview.releasable).toBe(true);
    expect(preview.withheld).toHaveLength(1);
    expect(preview.withheld[0]?.reason).toContain('psychotherapy notes');
    const draft = await pdfPages(await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/packet`));
    expect(draft[0]).toContain('DRAFT - NOT RELEASED');

    const result = await json<ReleaseResult>(await release(request.id));
    expect(result).toMatchObject({ status: 'released', records: 7 });
    expect(result.fee.amount).toBe((Math.min(result.pages * 25, 650) / 100).toFixed(2));

    const pages = await pdfPages(await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/packet`));
    expect(pages).toHaveLength(result.pages);
    const all = pages.join('\n');
    expect(pages[0]).toContain('Release of information');
    expect(pages[0]).toContain('To: Adaeze Okonkwo');
    expect(pages[0]).toContain('Re: Adaeze Okonkwo, born 1982-09-14, MRN M55501');
    expect(pages[0]).toContain(`Fee: $${result.fee.amount}`);
    expect(pages[0]).toContain('42 CFR part 2 prohibits unauthorized use or disclosure');
    expect(all).not.toContain('DRAFT');
    for (const text of [
      'Type 2 diabetes mellitus',
      'Glucose: 7.2 mmol/L',
      'Discharged home in stable condition.',
      'Opioid use disorder',
      'HIV-1 antibody',
      'Clinic visit',
    ])
      expect(all).toContain(text);
    expect(all).not.toContain('childhood');
    pages.forEach((page, i) => {
      expect(page).toContain(`Request ${request.id} · Recipient: Adaeze Okonkwo`);
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });

    const bundle = await json<Bundle>(
      await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/bundle`),
    );
    const types = (bundle.entry ?? []).map((e) => e.resource?.resourceType);
    expect(types[0]).toBe('Patient');
    expect(types).toHaveLength(8);
    expect(JSON.stringify(bundle)).not.toContain('Psychotherapy note');

    const after = await json<ReleaseRequest>(
      await server.call(ROI, 'GET', `/disclosure/requests/${request.id}`),
    );
    expect(after.status).toBe('released');
    expect(after.clock.state).toBe('stopped');
    // The release time where the index holds it (Task `period`), for the turnaround report.
    const task = await json<Task>(await server.call('admin', 'GET', `/fhir/R4/Task/${request.id}`));
    expect(task.executionPeriod?.end).toBe(result.releasedAt);
    expect(await blockers(await release(request.id))).toEqual(['not-open']);
  });

  it('releases labelled records to a third party only when the authorization names them', async () => {
    const request = await create({
      requesterType: 'attorney',
      recipient: 'Smith & Jones LLP',
      purpose: 'legal',
      authorization: authorizationForm(patientId, { labels: ['SUD'] }),
    });
    const result = await json<ReleaseResult>(await release(request.id));
    expect(result.withheld.map((w) => w.reason).join(' ')).toMatch(/HIV.*psychotherapy|psychotherapy.*HIV/);
    expect(result.fee.amount).toBe(((2500 + 50 * result.pages) / 100).toFixed(2));
    const all = (
      await pdfPages(await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/packet`))
    ).join('\n');
    expect(all).toContain('Opioid use disorder');
    expect(all).not.toContain('HIV-1 antibody');
    expect(all).toContain('Withheld: 2 records');
  });

  it('withholds Part 2 and HIV records from a provider without a consent, free of charge', async () => {
    const request = await create({
      requesterType: 'provider',
      recipient: 'Dr. Lee, Valley Clinic',
      purpose: 'treatment',
    });
    const result = await json<ReleaseResult>(await release(request.id));
    expect(result.withheld).toHaveLength(3);
    expect(result.records).toBe(5);
    expect(result.fee.amount).toBe('0.00');
  });

  it('refuses a release without a valid authorization, naming why', async () => {
    const none = await create({
      requesterType: 'subpoena',
      recipient: 'County Court Clerk',
      purpose: 'judicial',
    });
    expect(await blockers(await release(none.id))).toEqual(['authorization-missing']);
    const incomplete = authorizationForm(patientId);
    delete incomplete.dateTime;
    const partial = await create({ requesterType: 'attorney', purpose: 'legal', authorization: incomplete });
    expect(await blockers(await release(partial.id))).toEqual(['authorization-missing-date']);
    const expired = await create({
      requesterType: 'attorney',
      purpose: 'legal',
      authorization: authorizationForm(patientId, { expires: addDays(today(), -1) }),
    });
    expect(await blockers(await release(expired.id))).toEqual(['authorization-expired']);
    const revoked = await create({
      requesterType: 'attorney',
      purpose: 'legal',
      authorization: authorizationForm(patientId),
    });
    const consentId = revoked.authorization?.id ?? '';
    const consent = await json<Consent>(await server.call(ROI, 'GET', `/fhir/R4/Consent/${consentId}`));
    await json(
      await server.call(ROI, 'PUT', `/fhir/R4/Consent/${consentId}`, { ...consent, status: 'inactive' }),
    );
    expect(await blockers(await release(revoked.id))).toEqual(['authorization-revoked']);
    const status = await json<ReleaseRequest>(
      await server.call(ROI, 'GET', `/disclosure/requests/${revoked.id}`),
    );
    expect(status.status).toBe('logged');
  });

  it('holds a payer to the minimum necessary, then releases only the selected dates', async () => {
    const request = await create({
      requesterType: 'payer',
      recipient: 'Acme Health Plan',
      purpose: 'payment',
    });
    expect(await blockers(await release(request.id))).toEqual(['minimum-necessary']);
    await json(
      await server.call(ROI, 'POST', `/disclosure/requests/${request.id}/review`, {
        from: '2023-05-01',
        to: '2023-05-31',
        types: ['Encounter', 'Condition'],
      }),
    );
    const result = await json<ReleaseResult>(await release(request.id));
    expect(result.records).toBe(2);
    const all = (
      await pdfPages(await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/packet`))
    ).join('\n');
    expect(all).toContain('Inpatient admission');
    expect(all).toContain('Type 2 diabetes mellitus');
    expect(all).not.toContain('Clinic visit');
    expect(all).not.toContain('Glucose');
  });

  it('answers a request that matches no record with a letter saying so', async () => {
    const request = await create({ from: '1990-01-01', to: '1990-12-31' });
    const result = await json<ReleaseResult>(await release(request.id));
    expect(result.records).toBe(0);
    const pages = await pdfPages(await server.call(ROI, 'GET', `/disclosure/requests/${request.id}/packet`));
    expect(pages[0]).toContain('We found no records that match this request.');
  });
});

describe('accounting of disclosures', () => {
  it('lists the accountable disclosures of the last six years, leaving out the exempt ones', async () => {
    const health = await create({
      requesterType: 'public-health',
      recipient: 'State Department of Health',
      purpose: 'public-health',
      types: ['Observation'],
    });
    await json(await release(health.id));
    const court = await create({
      requesterType: 'court-order',
      recipient: 'Superior Court of Marin',
      purpose: 'judicial',
    });
    await json(await release(court.id));
    const record = async (date: string, recipient: string, basis = 'law-enforcement'): Promise<void> => {
      await json(
        await server.call(ROI, 'POST', '/disclosure/disclosures', {
          patient: `Patient/${patientId}`,
          date,
          recipient,
          purpose: 'Identifying a suspect',
          description: 'Name, date of birth and date of visit',
          basis,
        }),
        201,
      );
    };
    await record(addDays(today(), -365 * 5), 'Police Department (five years ago)');
    await record(addDays(today(), -365 * 7), 'Police Department (seven years ago)');
    await record(addDays(today(), -10), 'County Jail', 'correctional-custody');

    const accounting = await json<Accounting>(
      await server.call(ROI, 'GET', `/disclosure/accounting?patient=${patientId}`),
    );
    const recipients = accounting.disclosures.map((d) => d.recipient);
    expect(recipients).toEqual([
      'Police Department (five years ago)',
      'State Department of Health',
      'Superior Court of Marin',
    ]);
    expect(accounting.disclosures[1]).toMatchObject({
      date: today(),
      purpose: 'public-health',
      description: '1 results and vital signs',
    });
    // Earlier tests released to the patient, a provider, a payer and under an authorization.
    expect(accounting.exempted).toEqual({
      individual: 2,
      authorization: 1,
      tpo: 2,
      'correctional-custody': 1,
    });
    expect(accounting.from).toBe(
      `${Number(today().slice(0, 4)) - 6}${today().slice(4)}`.replace(/-02-29$/, '-02-28'),
    );

    const sixYearsOn = addDays(`${Number(today().slice(0, 4)) + 6}${today().slice(4)}`, 1);
    const later = await json<Accounting>(
      await server.call(ROI, 'GET', `/disclosure/accounting?patient=${patientId}&asOf=${sixYearsOn}`),
    );
    expect(later.disclosures).toEqual([]);
    const leap = await json<Accounting>(
      await server.call(ROI, 'GET', `/disclosure/accounting?patient=${patientId}&asOf=2028-02-29`),
    );
    expect(leap.from).toBe('2022-02-28');

    const pages = await pdfPages(
      await server.call(ROI, 'GET', `/disclosure/accounting?patient=${patientId}`, undefined, {
        accept: 'application/pdf',
      }),
    );
    const text = pages.join('\n');
    expect(text).toContain('Accounting of disclosures');
    expect(text).toContain('Adaeze Okonkwo');
    expect(text).toContain('State Department of Health');
    expect(text).not.toContain('seven years ago');
    const csv = await server.call(ROI, 'GET', `/disclosure/accounting?patient=${patientId}&format=csv`);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('date,recipient,purpose,description');
    expect(lines).toHaveLength(4);
    expect(
      (await server.call('privacy-officer', 'GET', `/disclosure/accounting?patient=${patientId}`)).status,
    ).toBe(200);
  });

  it('backfills the release time of a request released before it was kept in executionPeriod', async () => {
    const request = await create({});
    const result = await json<ReleaseResult>(await release(request.id));
    const path = `/fhir/R4/Task/${request.id}`;
    const { executionPeriod, meta, ...older } = await json<Task>(await server.call('admin', 'GET', path));
    expect(executionPeriod?.end).toBe(result.releasedAt);
    // As an earlier version stored it.
    expect((await server.call('admin', 'PUT', path, older)).status).toBe(200);
    const store = new FhirStore(server.db, cliContext());
    expect(await backfillReleaseTimes(store)).toBe(1);
    const after = await json<Task>(await server.call('admin', 'GET', path));
    expect(after.executionPeriod?.end).toBe(result.releasedAt);
    expect(after.lastModified).toBe(older.lastModified);
    expect(Number(after.meta?.versionId)).toBe(Number(meta?.versionId) + 2);
    expect(await backfillReleaseTimes(store)).toBe(0);
  });

  it('refuses anonymous callers and roles without ROI rights on release and accounting routes', async () => {
    const request = await create({});
    const routes: Array<[string, string, unknown]> = [
      ['GET', `/disclosure/requests/${request.id}/preview`, undefined],
      ['GET', `/disclosure/requests/${request.id}/packet`, undefined],
      ['GET', `/disclosure/requests/${request.id}/bundle`, undefined],
      ['POST', `/disclosure/requests/${request.id}/release`, undefined],
      ['GET', `/disclosure/accounting?patient=${patientId}`, undefined],
      ['POST', '/disclosure/disclosures', { patient: patientId }],
    ];
    for (const [method, path, body] of routes) {
      expect((await server.call(null, method, path, body)).status, path).toBe(401);
      expect((await server.call('coder', method, path, body)).status, path).toBe(403);
      expect((await server.call('him-technician', method, path, body)).status, path).toBe(403);
    }
    expect(
      (await server.call('privacy-officer', 'POST', `/disclosure/requests/${request.id}/release`)).status,
    ).toBe(403);
    expect((await server.call(ROI, 'GET', '/disclosure/accounting?patient=')).status).toBe(400);
    expect(
      (await server.call(ROI, 'GET', `/disclosure/accounting?patient=${patientId}&asOf=2023-02-29`)).status,
    ).toBe(400);
    expect(
      (
        await server.call(ROI, 'POST', '/disclosure/disclosures', {
          patient: patientId,
          date: '2020-01-01',
          recipient: 'x',
          purpose: 'x',
          description: 'x',
          basis: 'gossip',
        })
      ).status,
    ).toBe(400);
  });
});
