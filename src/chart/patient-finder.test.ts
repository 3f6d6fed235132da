import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Encounter, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../shared/index.ts';
import { sharedTestdataDir } from '../app/config.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { FinderResult, FoundPatient } from './patient-finder.ts';

// The Patient resources of a few Synthea bundles (names carry Synthea's digit suffixes: "Keeling57").
const SYNTHEA = [
  'Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json',
  'Jani266_Reynolds644_304f9946-5db8-dc6f-e060-48b9fea3ca5d.json',
  'Maryjane289_Reynolds644_44686b89-d0b0-3a1c-1ade-938217f658c1.json',
  'Cecelia952_Romaguera67_f1731e33-dc55-4ee8-72d7-cece2e49bedd.json',
];
const BOB = '3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b';

let server: TestServer;

const mr = (value: string): Patient['identifier'] => [
  {
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
    system: 'urn:test:mrn',
    value,
  },
];

const extra: Patient[] = [
  {
    resourceType: 'Patient',
    id: 'quack-robert',
    name: [{ use: 'official', family: 'Quackenbush', given: ['Robert'] }],
    birthDate: '1950-02-03',
    gender: 'male',
    identifier: mr('Q-1001'),
  },
  {
    resourceType: 'Patient',
    id: 'quack-roberta',
    name: [{ use: 'official', family: 'Quackenbush', given: ['Roberta'] }],
    birthDate: '1952-06-07',
    gender: 'female',
    identifier: mr('Q-1002'),
  },
  {
    resourceType: 'Patient',
    id: 'quack-peggy',
    name: [{ use: 'official', family: 'Quackenbush', given: ['Peggy'] }],
    birthDate: '1975-11-30',
    gender: 'female',
    identifier: mr('Q-1003'),
  },
  {
    resourceType: 'Patient',
    id: 'vip-victoria',
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    name: [{ use: 'official', family: 'Vanderbilt', given: ['Victoria'] }],
    birthDate: '1961-04-05',
    gender: 'female',
    identifier: mr('VIP-7777'),
  },
];

const encounter = (id: string, patient: string, start: string, cls: string): Encounter => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
  type: [{ text: cls === 'EMER' ? 'Emergency room admission' : 'Office visit' }],
  subject: { reference: `Patient/${patient}` },
  period: { start, end: start },
});

beforeAll(async () => {
  server = await startTestServer();
  const dir = join(sharedTestdataDir(), 'synthea');
  const patients = SYNTHEA.map(
    (f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Bundle).entry?.[0]?.resource as Patient,
  );
  const resources = [
    ...patients,
    ...extra,
    encounter('enc-robert-1', 'quack-robert', '2019-01-02T10:00:00Z', 'AMB'),
    encounter('enc-robert-2', 'quack-robert', '2023-05-06T22:15:00Z', 'EMER'),
    encounter('enc-vip-1', 'vip-victoria', '2024-01-01T09:00:00Z', 'IMP'),
  ];
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({
      resource: r,
      request: { method: 'PUT', url: `${r.resourceType}/${r.id ?? ''}` },
    })),
  };
  const res = await server.call('admin', 'POST', '/fhir/R4', bundle);
  expect(res.status).toBe(200);
});
afterAll(async () => server?.stop());

async function find(
  role: Role,
  query: Record<string, string>,
): Promise<{ status: number; body: FinderResult; text: string }> {
  const res = await server.call(role, 'GET', `/chart/patients?${new URLSearchParams(query).toString()}`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as FinderResult, text };
}

const visible = (r: FoundPatient | undefined): Extract<FoundPatient, { restricted: false }> => {
  if (!r || r.restricted) throw new Error(`expected a visible patient, got ${JSON.stringify(r)}`);
  return r;
};

describe('GET /chart/patients', () => {
  it('finds a Synthea patient by a misspelled family name, with what tells patients apart', async () => {
    const { status, body } = await find('him-technician', { q: 'Keelin' });
    expect(status).toBe(200);
    const top = visible(body.results[0]);
    expect(top.id).toBe(BOB);
    expect(top).toMatchObject({
      family: 'Keeling57',
      given: 'Bob965',
      birthDate: '1991-07-08',
      gender: 'male',
      mrn: BOB,
    });
    expect(top.matchedBy).toEqual(['name']);
  });

  it('finds both Reynolds by "Reynols" and ranks the one whose given name matches first', async () => {
    const both = await find('him-technician', { q: 'reynols' });
    expect(both.body.results.slice(0, 2).map((r) => visible(r).family)).toEqual([
      'Reynolds644',
      'Reynolds644',
    ]);
    const one = await find('him-technician', { q: 'Reynols, Maryjane' });
    expect(visible(one.body.results[0]).given).toBe('Maryjane289');
    expect(one.body.results[0]?.score).toBeGreaterThan(one.body.results[1]?.score ?? 0);
  });

  it('finds a formal given name by its nickname and a nickname by the formal name', async () => {
    const bob = await find('him-technician', { q: 'Bob Quakenbush' });
    expect(visible(bob.body.results[0]).id).toBe('quack-robert');
    const margaret = await find('him-technician', { q: 'Margaret Quackenbush' });
    expect(visible(margaret.body.results[0]).id).toBe('quack-peggy');
    // And the Synthea "Bob965" by Robert, with the family name misspelled.
    const robert = await find('him-technician', { q: 'Robert Keling' });
    expect(visible(robert.body.results[0]).id).toBe(BOB);
  });

  it('puts an exact MRN first and narrows by birth date', async () => {
    const byMrn = await find('him-technician', { q: 'Q-1002' });
    expect(byMrn.body.results.map((r) => r.id)).toEqual(['quack-roberta']);
    expect(byMrn.body.results[0]?.matchedBy).toEqual(['identifier']);
    const byDate = await find('him-technician', { q: 'quackenbush 1950-02-03' });
    expect(byDate.body.results.map((r) => r.id)).toEqual(['quack-robert']);
    const usDate = await find('him-technician', { q: '2/3/1950' });
    expect(usDate.body.results.map((r) => r.id)).toEqual(['quack-robert']);
    const param = await find('him-technician', { q: 'Quackenbush', birthdate: '1975-11-30' });
    expect(param.body.results.map((r) => r.id)).toEqual(['quack-peggy']);
  });

  it('shows the last encounter (date, class) of each patient', async () => {
    const { body } = await find('him-technician', { q: 'Robert Quackenbush' });
    expect(visible(body.results[0]).lastEncounter).toEqual({
      date: '2023-05-06T22:15:00Z',
      class: 'EMER',
      type: 'Emergency room admission',
    });
  });

  it('does not leak a restricted patient: only its id, until the glass is broken', async () => {
    const tech = await find('him-technician', { q: 'Vanderbilt' });
    expect(tech.status).toBe(200);
    expect(tech.body.results).toEqual([
      { id: 'vip-victoria', restricted: true, score: expect.any(Number) as number, matchedBy: ['name'] },
    ]);
    for (const secret of ['Victoria', 'Vanderbilt', '1961', 'VIP-7777', 'female', 'IMP', '2024'])
      expect(tech.text).not.toContain(secret);
    // Found by MRN it is just as opaque.
    const byMrn = await find('coder', { q: 'VIP-7777' });
    expect(byMrn.body.results).toEqual([
      {
        id: 'vip-victoria',
        restricted: true,
        score: expect.any(Number) as number,
        matchedBy: ['identifier'],
      },
    ]);
    // The privacy officer may see sensitive charts.
    const privacy = await find('privacy-officer', { q: 'Vanderbilt' });
    expect(visible(privacy.body.results[0])).toMatchObject({
      given: 'Victoria',
      birthDate: '1961-04-05',
      mrn: 'VIP-7777',
    });
    // After breaking the glass for that patient, the technician sees it too.
    const glass = await server.call(
      'him-technician',
      'POST',
      '/auth/break-glass',
      { patient: 'vip-victoria', reason: 'Patient in ER, unconscious, needs history' },
      { 'content-type': 'application/json' },
    );
    expect(glass.status).toBe(201);
    const after = await find('him-technician', { q: 'Vanderbilt' });
    expect(visible(after.body.results[0]).given).toBe('Victoria');
  });

  it('audits the search naming the patients it returned', async () => {
    await find('coder', { q: 'Romaguera' });
    const res = await server.call(
      'privacy-officer',
      'GET',
      '/fhir/R4/AuditEvent?_count=200&_sort=-_lastUpdated',
    );
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('GET /chart/patients?q=Romaguera');
    expect(text).toContain('f1731e33-dc55-4ee8-72d7-cece2e49bedd');
  });

  it('refuses anonymous callers, roles without Patient search, and empty queries', async () => {
    expect((await server.call(null, 'GET', '/chart/patients?q=keeling')).status).toBe(401);
    expect((await server.call('auditor', 'GET', '/chart/patients?q=keeling')).status).toBe(403);
    const empty = await server.call('him-technician', 'GET', '/chart/patients?q=%20');
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Type a name');
  });
});
