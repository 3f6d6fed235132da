import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Encounter, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../shared/index.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
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
  // Visible, same family name and birth date as the restricted one.
  {
    resourceType: 'Patient',
    id: 'vander-walter',
    name: [{ use: 'official', family: 'Vanderbilt', given: ['Walter'] }],
    birthDate: '1961-04-05',
    gender: 'male',
    identifier: mr('VW-5151'),
  },
];

const RESTRICTED_LABEL = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };

const encounter = (id: string, patient: string, start: string, cls: string, labelled = false): Encounter => ({
  resourceType: 'Encounter',
  id,
  ...(labelled ? { meta: { security: [RESTRICTED_LABEL] } } : {}),
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
  type: [{ text: cls === 'EMER' ? 'Emergency room admission' : 'Office visit' }],
  subject: { reference: `Patient/${patient}` },
  period: { start, end: start },
});

beforeAll(async () => {
  server = await startTestServer();
  const dir = sharedTestdata('synthea');
  const patients = hasSharedTestdata
    ? SYNTHEA.map(
        (f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Bundle).entry?.[0]?.resource as Patient,
      )
    : [];
  const resources = [
    ...patients,
    ...extra,
    encounter('enc-robert-1', 'quack-robert', '2019-01-02T10:00:00Z', 'AMB'),
    encounter('enc-robert-2', 'quack-robert', '2023-05-06T22:15:00Z', 'EMER'),
    encounter('enc-vip-1', 'vip-victoria', '2024-01-01T09:00:00Z', 'IMP'),
    // The restricted patient's latest stay is labelled itself: shown once the glass is broken.
    encounter('enc-vip-2', 'vip-victoria', '2024-06-01T09:00:00Z', 'EMER', true),
    // A visible patient whose latest stay is labelled: hidden from a technician until the glass.
    encounter('enc-roberta-1', 'quack-roberta', '2020-03-04T08:00:00Z', 'AMB'),
    encounter('enc-roberta-2', 'quack-roberta', '2022-09-10T08:00:00Z', 'IMP', true),
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

describe.skipIf(!hasSharedTestdata)('GET /chart/patients', () => {
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
});

const breakGlass = async (role: Role, patient: string): Promise<void> => {
  const res = await server.call(
    role,
    'POST',
    '/auth/break-glass',
    { patient, reason: 'Patient in ER, unconscious, needs history' },
    { 'content-type': 'application/json' },
  );
  expect(res.status).toBe(201);
};

/** How a restricted chart appears to a role without the glass: its id and nothing else. */
const BARE = (id: string): FoundPatient => ({ id, restricted: true, score: 0, matchedBy: [] });

// Issue #21 item 7: what a role without the glass may learn from the finder (README.md,
// "Restricted charts"). These run from the repository alone (no Synthea).
describe('GET /chart/patients: restricted charts', () => {
  it('lists a restricted chart found by name as its id only, after every visible patient', async () => {
    const tech = await find('him-technician', { q: 'Victoria Vanderbilt' });
    expect(tech.status).toBe(200);
    // The restricted chart matches the typed name better, yet comes last, with no score or detail.
    expect(tech.body.results.map((r) => r.id)).toEqual(['vander-walter', 'vip-victoria']);
    expect(visible(tech.body.results[0]).matchedBy).toEqual(['name']);
    expect(tech.body.results[1]).toEqual(BARE('vip-victoria'));
    expect(tech.body.total).toBe(2);
    // Nothing of it anywhere in the answer (the visible Vanderbilt shares its birth date).
    for (const secret of ['Victoria', 'VIP-7777', 'female', 'IMP', 'EMER', '2024'])
      expect(tech.text).not.toContain(secret);
  });

  it('does not say that a restricted chart matched by its MRN', async () => {
    const byMrn = await find('coder', { q: 'VIP-7777' });
    expect(byMrn.body).toEqual({ total: 1, results: [BARE('vip-victoria')] });
    // A visible patient's MRN still answers with its detail.
    const visibleMrn = await find('coder', { q: 'VW-5151' });
    expect(visible(visibleMrn.body.results[0])).toMatchObject({
      id: 'vander-walter',
      matchedBy: ['identifier'],
    });
  });

  it('neither confirms nor denies the birth date of a restricted chart', async () => {
    // Birth date alone: only the visible patient born that day, never the restricted one.
    for (const q of ['1961-04-05', '4/5/1961']) {
      const { body } = await find('him-technician', { q });
      expect(body.results.map((r) => r.id)).toEqual(['vander-walter']);
    }
    // Name and birth date: the birth date narrows visible patients; the restricted row is the
    // same whether the date is its birth date or not.
    const right = await find('him-technician', { q: 'Vanderbilt 1961-04-05' });
    const wrong = await find('him-technician', { q: 'Vanderbilt 1961-04-06' });
    expect(right.body.results).toEqual([
      expect.objectContaining({ id: 'vander-walter', matchedBy: ['name', 'birthDate'] }),
      BARE('vip-victoria'),
    ]);
    expect(wrong.body.results).toEqual([BARE('vip-victoria')]);
    const param = await find('him-technician', { q: 'Vanderbilt', birthdate: '1961-04-05' });
    const paramWrong = await find('him-technician', { q: 'Vanderbilt', birthdate: '1999-12-31' });
    expect(param.body.results.map((r) => r.id)).toEqual(['vander-walter', 'vip-victoria']);
    expect(paramWrong.body.results).toEqual([BARE('vip-victoria')]);
    // And the MRN with a wrong birth date still lists it, as bare as ever.
    const mrnWrong = await find('him-technician', { q: 'VIP-7777 1999-12-31' });
    expect(mrnWrong.body.results).toEqual([BARE('vip-victoria')]);
  });

  it('shows a role that may see sensitive charts everything, with the latest encounter', async () => {
    const privacy = await find('privacy-officer', { q: 'Victoria Vanderbilt' });
    expect(visible(privacy.body.results[0])).toMatchObject({
      id: 'vip-victoria',
      given: 'Victoria',
      birthDate: '1961-04-05',
      mrn: 'VIP-7777',
      matchedBy: ['name'],
      lastEncounter: { date: '2024-06-01T09:00:00Z', class: 'EMER' },
    });
    const byDate = await find('privacy-officer', { q: 'Vanderbilt 1961-04-05' });
    expect(byDate.body.results.map((r) => r.id).sort()).toEqual(['vander-walter', 'vip-victoria']);
  });

  it('hides a labelled encounter of a visible patient until the glass is broken', async () => {
    const before = await find('cancer-registrar', { q: 'Roberta Quackenbush' });
    expect(visible(before.body.results[0])).toMatchObject({
      id: 'quack-roberta',
      lastEncounter: { date: '2020-03-04T08:00:00Z', class: 'AMB' },
    });
    await breakGlass('cancer-registrar', 'quack-roberta');
    const after = await find('cancer-registrar', { q: 'Roberta Quackenbush' });
    expect(visible(after.body.results[0]).lastEncounter).toEqual({
      date: '2022-09-10T08:00:00Z',
      class: 'IMP',
      type: 'Office visit',
    });
  });

  it('after breaking the glass shows the patient and its latest encounter, labelled or not', async () => {
    await breakGlass('him-technician', 'vip-victoria');
    const after = await find('him-technician', { q: 'Victoria Vanderbilt' });
    const vip = visible(after.body.results[0]);
    expect(vip).toMatchObject({
      id: 'vip-victoria',
      given: 'Victoria',
      mrn: 'VIP-7777',
      matchedBy: ['name'],
    });
    expect(vip.score).toBeGreaterThan(visible(after.body.results[1]).score);
    // Its latest stay is labelled too: the glass opens it (the finder once ignored the glass here).
    expect(vip.lastEncounter).toEqual({
      date: '2024-06-01T09:00:00Z',
      class: 'EMER',
      type: 'Emergency room admission',
    });
    // And its birth date now narrows like any other.
    const wrong = await find('him-technician', { q: 'Vanderbilt 1961-04-06' });
    expect(wrong.body.results).toEqual([]);
    // The glass is this user's and this patient's: another role still sees a bare row.
    const coder = await find('coder', { q: 'Victoria Vanderbilt' });
    expect(coder.body.results[1]).toEqual(BARE('vip-victoria'));
  });

  it('refuses anonymous callers, roles without Patient search, and empty queries', async () => {
    expect((await server.call(null, 'GET', '/chart/patients?q=keeling')).status).toBe(401);
    expect((await server.call('auditor', 'GET', '/chart/patients?q=keeling')).status).toBe(403);
    const empty = await server.call('him-technician', 'GET', '/chart/patients?q=%20');
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Type a name');
  });
});
