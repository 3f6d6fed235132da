import type { Condition, DocumentReference, Patient, Resource } from '@medplum/fhirtypes';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { AmendmentView } from './amendments.ts';
import { addDays, today } from './legal-clock.ts';
import type { ReleaseRequest } from './requests.ts';

let server: TestServer;
let patientId = '';
let conditionId = '';
let observationId = '';

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function pdfText(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  const pdf = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
  return (await extractText(pdf, { mergePages: true })).text.replace(/\s+/g, ' ');
}

const post = <T>(role: Parameters<TestServer['call']>[0], path: string, body: unknown, status = 200) =>
  server.call(role, 'POST', path, body).then((r) => json<T>(r, status));

beforeAll(async () => {
  server = await startTestServer();
  const patient = await post<Patient>(
    'admin',
    '/fhir/R4/Patient',
    { resourceType: 'Patient', name: [{ family: 'Lindqvist', given: ['Maren'] }], birthDate: '1975-03-02' },
    201,
  );
  patientId = patient.id ?? '';
  const subject = { reference: `Patient/${patientId}` };
  const records: Resource[] = [
    { resourceType: 'Condition', subject, code: { text: 'Penicillin allergy' }, recordedDate: '2024-02-01' },
    {
      resourceType: 'Observation',
      status: 'final',
      subject,
      code: { text: 'Smoking status' },
      effectiveDateTime: '2024-02-01',
      valueString: 'Current smoker',
    },
  ] as Resource[];
  const ids = await Promise.all(
    records.map(async (r) => (await post<Resource>('admin', `/fhir/R4/${r.resourceType}`, r, 201)).id ?? ''),
  );
  conditionId = ids[0] ?? '';
  observationId = ids[1] ?? '';
});
afterAll(async () => server?.stop());

const request = (overrides: Record<string, unknown>) =>
  post<AmendmentView>(
    'roi-specialist',
    '/disclosure/amendments',
    {
      patient: `Patient/${patientId}`,
      received: addDays(today(), -5),
      records: [`Condition/${conditionId}`],
      change: 'I am allergic to amoxicillin, not penicillin',
      notify: ['Dr. Ana Pruitt, Lakeside Family Practice'],
      ...overrides,
    },
    201,
  );

/** A patient's own request for every record, released at once (the disclosure the notice list finds). */
async function releaseToPatient(recipient: string): Promise<string> {
  const r = await post<ReleaseRequest>(
    'roi-specialist',
    '/disclosure/requests',
    {
      patient: `Patient/${patientId}`,
      requesterType: 'patient',
      recipient,
      purpose: 'personal',
      received: today(),
    },
    201,
  );
  await post('roi-specialist', `/disclosure/requests/${r.id}/release`, undefined);
  return r.id;
}

describe('amendments', () => {
  it('accepts: 60-day clock, one extension with notice, routed to the author, a new version and an appended correction, persons to notify', async () => {
    await releaseToPatient('Northside Insurance');
    const created = await request({});
    expect(created.status).toBe('received');
    expect(created.firstDueDate).toBe(addDays(today(), 55));
    expect(created.clock).toMatchObject({ dueDate: addDays(today(), 55), daysLeft: 55, state: 'on-time' });

    const extended = await post<AmendmentView>(
      'roi-specialist',
      `/disclosure/amendments/${created.id}/extend`,
      {
        notice: 'We need the allergy clinic notes; we will answer by the new date.',
      },
    );
    expect(extended.dueDate).toBe(addDays(today(), 85));
    expect(extended.extension?.noticeSent).toBe(today());
    const again = await server.call('roi-specialist', 'POST', `/disclosure/amendments/${created.id}/extend`, {
      notice: 'again',
    });
    expect(again.status).toBe(409);

    const routed = await post<AmendmentView>('roi-specialist', `/disclosure/amendments/${created.id}/route`, {
      author: 'Dr. Imani Okafor',
    });
    expect(routed).toMatchObject({ status: 'routed', author: 'Dr. Imani Okafor', routedOn: today() });

    const condition = await json<Condition>(
      await server.call('provider', 'GET', `/fhir/R4/Condition/${conditionId}`),
    );
    const accepted = await post<AmendmentView>('provider', `/disclosure/amendments/${created.id}/accept`, {
      correction: 'Allergy is to amoxicillin (reaction: rash), confirmed with the patient.',
      amended: [{ ...condition, code: { text: 'Amoxicillin allergy' } }],
    });
    expect(accepted).toMatchObject({ status: 'accepted', decidedOn: today(), clock: { state: 'stopped' } });
    expect(accepted.amendedVersions).toEqual([`Condition/${conditionId}/_history/1`]);
    expect(accepted.noticeList).toEqual(['Dr. Ana Pruitt, Lakeside Family Practice', 'Northside Insurance']);

    // Never a silent overwrite: the new version is current, the old one is kept and readable.
    const now = await json<Condition>(
      await server.call('provider', 'GET', `/fhir/R4/Condition/${conditionId}`),
    );
    expect(now).toMatchObject({ code: { text: 'Amoxicillin allergy' }, meta: { versionId: '2' } });
    const old = await json<Condition>(
      await server.call('provider', 'GET', `/fhir/R4/Condition/${conditionId}/_history/1`),
    );
    expect(old.code?.text).toBe('Penicillin allergy');
    const correction = await json<DocumentReference>(
      await server.call('provider', 'GET', `/fhir/R4/${accepted.correction ?? ''}`),
    );
    expect(correction.context?.related).toEqual([{ reference: `Condition/${conditionId}` }]);
    expect(Buffer.from(correction.content[0]?.attachment.data ?? '', 'base64').toString()).toContain(
      'Allergy is to amoxicillin',
    );
    const late = await server.call('provider', 'POST', `/disclosure/amendments/${created.id}/deny`, {
      basis: 'accurate-and-complete',
    });
    expect(late.status).toBe(409);
  });

  it('denies with a letter, takes the disagreement and rebuttal, and both go with a later release', async () => {
    const created = await request({
      received: addDays(today(), -70),
      records: [`Observation/${observationId}`],
      change: 'I never smoked; remove "current smoker"',
    });
    expect(created.clock).toMatchObject({ state: 'overdue', daysLeft: -10 });
    const tooLate = await server.call(
      'roi-specialist',
      'POST',
      `/disclosure/amendments/${created.id}/extend`,
      {
        notice: 'late',
      },
    );
    expect(tooLate.status).toBe(409);
    const noBasis = await server.call('provider', 'POST', `/disclosure/amendments/${created.id}/deny`, {
      basis: 'because',
    });
    expect(noBasis.status).toBe(400);
    const early = await server.call('roi-specialist', 'GET', `/disclosure/amendments/${created.id}/letter`);
    expect(early.status).toBe(409);
    const denied = await post<AmendmentView>('provider', `/disclosure/amendments/${created.id}/deny`, {
      basis: 'accurate-and-complete',
      explanation: 'The patient reported daily smoking at the visit of 2024-02-01.',
    });
    expect(denied).toMatchObject({ status: 'denied', denialBasis: 'accurate-and-complete' });

    const letter = await pdfText(
      await server.call('roi-specialist', 'GET', `/disclosure/amendments/${created.id}/letter`),
    );
    expect(letter).toContain('Basis for the denial: The information is accurate and complete.');
    expect(letter).toContain('You may file a written statement disagreeing with this denial');
    expect(letter).toContain('Secretary of the U.S. Department of Health and Human Services');

    const early2 = await server.call(
      'roi-specialist',
      'POST',
      `/disclosure/amendments/${created.id}/rebuttal`,
      {
        statement: 'x',
      },
    );
    expect(early2.status).toBe(409);
    await post('roi-specialist', `/disclosure/amendments/${created.id}/disagreement`, {
      statement: 'I quit smoking in 2015 and told the nurse so.',
    });
    const rebutted = await post<AmendmentView>(
      'him-director',
      `/disclosure/amendments/${created.id}/rebuttal`,
      {
        statement: 'The visit note records the patient stating current use.',
      },
    );
    expect(rebutted.rebuttal?.by).toBe('him-director-user');

    const releaseId = await releaseToPatient('Maren Lindqvist');
    const packet = await pdfText(
      await server.call('roi-specialist', 'GET', `/disclosure/requests/${releaseId}/packet`),
    );
    expect(packet).toContain('Also enclosed: 1 statement(s) of disagreement');
    expect(packet).toContain('Statement of disagreement: I quit smoking in 2015 and told the nurse so.');
    expect(packet).toContain('Rebuttal: The visit note records the patient stating current use.');
    expect(packet).toContain('Basis: The information is accurate and complete.');

    const queue = await json<{ amendments: AmendmentView[] }>(
      await server.call('roi-specialist', 'GET', `/disclosure/amendments?status=all&patient=${patientId}`),
    );
    expect(queue.amendments.map((a) => a.status).sort()).toEqual(['accepted', 'denied']);
  });

  it('refuses bad requests and callers without the right', async () => {
    const other = await post<Patient>(
      'admin',
      '/fhir/R4/Patient',
      { resourceType: 'Patient', name: [{ family: 'Other' }] },
      201,
    );
    const foreign = await server.call('roi-specialist', 'POST', '/disclosure/amendments', {
      patient: `Patient/${other.id}`,
      records: [`Condition/${conditionId}`],
      change: 'x',
    });
    expect(foreign.status).toBe(400);
    const noRecords = await server.call('roi-specialist', 'POST', '/disclosure/amendments', {
      patient: `Patient/${patientId}`,
      records: 'Condition/1',
      change: 'x',
    });
    expect(noRecords.status).toBe(400);
    const coder = await server.call('coder', 'POST', '/disclosure/amendments', {
      patient: `Patient/${patientId}`,
      records: [`Condition/${conditionId}`],
      change: 'x',
    });
    expect(coder.status).toBe(403);
  });
});
