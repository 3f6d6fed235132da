import type { OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { DestructionRun } from './run-record.ts';
import type { LegalHold } from './holds.ts';
import type { PatientRetention } from './patient-retention.ts';

let server: TestServer;
const ids: Record<'adult' | 'minor' | 'deceased' | 'recent' | 'held', string> = {
  adult: '',
  minor: '',
  deceased: '',
  recent: '',
  held: '',
};
const observations: Record<string, string> = {};
const encounters: Record<string, string> = {};

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}
const call = (role: Role, method: string, path: string, body?: unknown) =>
  server.call(role, method, path, body);

async function chart(key: keyof typeof ids, patient: Partial<Patient>, visit: string): Promise<void> {
  const p = await json<Patient>(
    await call('admin', 'POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      name: [{ family: key, given: ['Test'] }],
      ...patient,
    }),
    201,
  );
  ids[key] = p.id ?? '';
  const subject = { reference: `Patient/${ids[key]}` };
  encounters[key] =
    (await json<Resource>(await call('admin', 'POST', '/fhir/R4/Encounter', encounter(ids[key], visit)), 201))
      .id ?? '';
  const obs = await json<Resource>(
    await call('admin', 'POST', '/fhir/R4/Observation', {
      resourceType: 'Observation',
      status: 'final',
      subject,
      code: { text: 'Weight' },
      effectiveDateTime: visit,
      valueQuantity: { value: 70, unit: 'kg' },
    }),
    201,
  );
  observations[key] = obs.id ?? '';
}

const encounter = (patientId: string, date: string) => ({
  resourceType: 'Encounter',
  status: 'finished',
  class: { code: 'AMB' },
  subject: { reference: `Patient/${patientId}` },
  period: { start: date, end: date },
});

const issues = async (res: Response): Promise<string> => {
  expect(res.status).toBe(409);
  const outcome = (await res.json()) as OperationOutcome;
  return (outcome.issue ?? [])
    .map((i) => `${i.details?.coding?.[0]?.code ?? ''}: ${i.diagnostics ?? ''}`)
    .join('\n');
};

beforeAll(async () => {
  server = await startTestServer();
  await chart('adult', { birthDate: '1950-04-02' }, '2010-05-03');
  await chart('minor', { birthDate: '2015-01-01' }, '2016-02-01');
  await chart('deceased', { birthDate: '1930-01-01', deceasedDateTime: '2012-06-01' }, '2012-05-30');
  await chart('recent', { birthDate: '1980-01-01' }, '2024-03-01');
  await chart('held', { birthDate: '1960-01-01' }, '2009-01-15');
});
afterAll(async () => server?.stop());

describe('retention schedule', () => {
  it('computes the retention end of adult, minor and deceased charts', async () => {
    const of = async (key: keyof typeof ids) =>
      json<PatientRetention>(await call('him-technician', 'GET', `/retention/patients/${ids[key]}`));
    expect(await of('adult')).toMatchObject({
      retainUntil: '2020-05-03',
      basis: 'adult',
      lastEncounter: '2010-05-03',
    });
    const minor = await of('minor');
    expect(minor).toMatchObject({ retainUntil: '2036-01-01', basis: 'minor' });
    expect(minor.rule).toContain('to age 21');
    expect(await of('deceased')).toMatchObject({ retainUntil: '2022-06-01', basis: 'deceased' });
    expect((await call('coder', 'GET', `/retention/patients/${ids.adult}`)).status).toBe(403);
  });
});

describe('legal hold', () => {
  it('blocks DELETE and $merge of what it covers with a 409 naming the hold, until released', async () => {
    const hold = await json<{ id: string }>(
      await call('privacy-officer', 'POST', '/retention/holds', {
        scope: `Patient/${ids.held}`,
        matter: 'Doe v. Custodian General',
        custodian: 'Office of General Counsel',
      }),
      201,
    );
    expect(
      (await call('coder', 'POST', '/retention/holds', { scope: `Patient/${ids.held}`, matter: 'x' })).status,
    ).toBe(403);
    expect(
      (await call('privacy-officer', 'POST', '/retention/holds', { scope: 'Patient/', matter: 'x' })).status,
    ).toBe(400);

    const deletePatient = await issues(await call('admin', 'DELETE', `/fhir/R4/Patient/${ids.held}`));
    expect(deletePatient).toContain(`legal-hold: Patient/${ids.held} is under legal hold ${hold.id}`);
    expect(deletePatient).toContain('Doe v. Custodian General');
    expect(
      await issues(await call('admin', 'DELETE', `/fhir/R4/Observation/${observations.held}`)),
    ).toContain(hold.id);
    const merge = await call('admin', 'POST', '/fhir/R4/Patient/$merge', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'source-patient', valueReference: { reference: `Patient/${ids.held}` } },
        { name: 'target-patient', valueReference: { reference: `Patient/${ids.recent}` } },
      ],
    });
    expect(await issues(merge)).toContain(hold.id);
    // Every other way of deleting: by criteria, as a transaction's entry, as a batch's entry.
    expect(
      await issues(await call('admin', 'DELETE', `/fhir/R4/Observation?subject=Patient/${ids.held}`)),
    ).toContain(hold.id);
    const deleteEntry = { request: { method: 'DELETE', url: `Observation/${observations.held}` } };
    expect(
      await issues(
        await call('admin', 'POST', '/fhir/R4', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [deleteEntry],
        }),
      ),
    ).toContain(hold.id);
    const batch = await json<{ entry: Array<{ response: { status: string; outcome?: OperationOutcome } }> }>(
      await call('admin', 'POST', '/fhir/R4', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [deleteEntry],
      }),
    );
    expect(batch.entry[0]?.response.status).toMatch(/^409/);
    expect(JSON.stringify(batch.entry[0]?.response.outcome)).toContain(hold.id);
    // Nothing changed.
    expect((await call('admin', 'GET', `/fhir/R4/Patient/${ids.held}`)).status).toBe(200);
    expect((await call('admin', 'GET', `/fhir/R4/Observation/${observations.held}`)).status).toBe(200);

    const listed = await json<{ holds: LegalHold[] }>(await call('him-director', 'GET', '/retention/holds'));
    expect(listed.holds).toEqual([
      expect.objectContaining({
        id: hold.id,
        matter: 'Doe v. Custodian General',
        custodian: 'Office of General Counsel',
      }),
    ]);
    // An accepted amendment may append a correction to held records, not overwrite them.
    const amendment = await json<{ id: string }>(
      await call('roi-specialist', 'POST', '/disclosure/amendments', {
        patient: `Patient/${ids.held}`,
        records: [`Observation/${observations.held}`],
        change: 'The weight was 68 kg',
      }),
      201,
    );
    const held = await json<Resource>(
      await call('admin', 'GET', `/fhir/R4/Observation/${observations.held}`),
    );
    const overwrite = await call('provider', 'POST', `/disclosure/amendments/${amendment.id}/accept`, {
      correction: 'Weight 68 kg',
      amended: [{ ...held, valueQuantity: { value: 68, unit: 'kg' } }],
    });
    expect(await issues(overwrite)).toContain(hold.id);
    await json(
      await call('provider', 'POST', `/disclosure/amendments/${amendment.id}/accept`, {
        correction: 'Weight 68 kg',
      }),
    );

    // A hold on one encounter covers that encounter (and the patient), not the rest of the chart.
    const visit = await json<{ id: string }>(
      await call('him-director', 'POST', '/retention/holds', {
        scope: `Encounter/${encounters.recent}`,
        matter: 'Incident 42',
      }),
      201,
    );
    expect(await issues(await call('admin', 'DELETE', `/fhir/R4/Encounter/${encounters.recent}`))).toContain(
      visit.id,
    );
    expect(await issues(await call('admin', 'DELETE', `/fhir/R4/Patient/${ids.recent}`))).toContain(visit.id);
    // Unheld records are deleted as before.
    expect((await call('admin', 'DELETE', `/fhir/R4/Observation/${observations.recent}`)).status).toBe(204);
  });
});

describe('destruction run', () => {
  it('destroys exactly what is due after a second person approves, transactionally, and certifies it', async () => {
    const proposed = await json<DestructionRun>(
      await call('him-director', 'POST', '/retention/destruction-runs', {}),
      201,
    );
    // The held chart (due since 2019) is not proposed; neither are the minor's nor the recent one.
    expect(proposed.items.map((i) => i.patientId)).toEqual([ids.adult, ids.deceased]);
    expect(
      (await call('him-director', 'POST', `/retention/destruction-runs/${proposed.id}/destroy`)).status,
    ).toBe(409);
    // Two persons: the proposer may not approve, a technician has no right to.
    const self = await call('him-director', 'POST', `/retention/destruction-runs/${proposed.id}/approve`);
    expect(self.status).toBe(403);
    expect(
      (await call('him-technician', 'POST', `/retention/destruction-runs/${proposed.id}/approve`)).status,
    ).toBe(403);
    const approved = await json<DestructionRun>(
      await call('privacy-officer', 'POST', `/retention/destruction-runs/${proposed.id}/approve`),
    );
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'privacy-officer-user' });

    // A hold placed after approval refuses the run; the chart destroyed before it is restored.
    const late = await json<{ id: string }>(
      await call('privacy-officer', 'POST', '/retention/holds', {
        scope: `Patient/${ids.deceased}`,
        matter: 'Estate audit',
      }),
      201,
    );
    expect(
      await issues(await call('him-director', 'POST', `/retention/destruction-runs/${proposed.id}/destroy`)),
    ).toContain(late.id);
    expect((await call('admin', 'GET', `/fhir/R4/Patient/${ids.adult}`)).status).toBe(200);
    expect((await call('admin', 'GET', `/fhir/R4/Observation/${observations.adult}`)).status).toBe(200);
    await json(await call('privacy-officer', 'DELETE', `/retention/holds/${late.id}`));

    // Recorded deceased in error and seen again: the chart is no longer due, refused again, nothing destroyed.
    const living = await json<Patient>(await call('admin', 'GET', `/fhir/R4/Patient/${ids.deceased}`));
    delete living.deceasedDateTime;
    await json(await call('admin', 'PUT', `/fhir/R4/Patient/${ids.deceased}`, living));
    await json(await call('admin', 'POST', '/fhir/R4/Encounter', encounter(ids.deceased, '2025-01-10')), 201);
    expect(
      await issues(await call('him-director', 'POST', `/retention/destruction-runs/${proposed.id}/destroy`)),
    ).toContain('no longer past retention');
    expect((await call('admin', 'GET', `/fhir/R4/Patient/${ids.adult}`)).status).toBe(200);

    // A copy released from the chart before it is destroyed: the kept packet goes with the chart.
    const request = await json<{ id: string }>(
      await call('roi-specialist', 'POST', '/disclosure/requests', {
        patient: `Patient/${ids.adult}`,
        requesterType: 'patient',
        recipient: 'Test adult',
        purpose: 'personal',
        received: new Date().toISOString().slice(0, 10),
      }),
      201,
    );
    await json(await call('roi-specialist', 'POST', `/disclosure/requests/${request.id}/release`));

    const second = await json<DestructionRun>(
      await call('him-technician', 'POST', '/retention/destruction-runs', {}),
      201,
    );
    expect(second.items.map((i) => i.patientId)).toEqual([ids.adult]);
    await json(await call('him-director', 'POST', `/retention/destruction-runs/${second.id}/approve`));
    const done = await json<DestructionRun>(
      await call('him-director', 'POST', `/retention/destruction-runs/${second.id}/destroy`, {
        method: 'Purged from the record store',
      }),
    );
    expect(done).toMatchObject({
      status: 'destroyed',
      destroyedBy: 'him-director-user',
      hasCertificate: true,
    });
    // The chart's 3 records (6 versions) and the release request's Task (3 versions: received, in
    // progress, released).
    expect(done.destroyed).toEqual([{ patientId: ids.adult, records: 4, versions: 9, releasedCopies: 1 }]);
    expect(
      (await call('roi-specialist', 'GET', `/disclosure/requests/${request.id}/packet`)).status,
    ).not.toBe(200);
    expect((await call('admin', 'GET', `/fhir/R4/Patient/${ids.adult}`)).status).toBe(410);
    expect((await call('admin', 'GET', `/fhir/R4/Observation/${observations.adult}`)).status).toBe(410);
    expect(
      (await call('admin', 'GET', `/fhir/R4/Observation/${observations.adult}/_history/1`)).status,
    ).not.toBe(200);
    for (const key of ['minor', 'deceased', 'held'] as const)
      expect((await call('admin', 'GET', `/fhir/R4/Patient/${ids[key]}`)).status).toBe(200);

    const cert = await call('him-director', 'GET', `/retention/destruction-runs/${second.id}/certificate`);
    expect(cert.headers.get('content-type')).toBe('application/pdf');
    const text = (
      await extractText(await getDocumentProxy(new Uint8Array(await cert.arrayBuffer())), {
        mergePages: true,
      })
    ).text;
    expect(text).toContain('Certificate of destruction');
    expect(text).toContain('Test adult');
    expect(text).toContain('Method: Purged from the record store');
    expect(text).toContain('Approved by: him-director-user');
    expect(text).toContain('Dates of service: 2010-05-03 to 2010-05-03');
    expect(text).toContain('1 kept copies of released packets destroyed');
  });
});
