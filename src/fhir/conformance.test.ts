import type { Bundle, CapabilityStatement, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, isAllowed } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** Issue #14 items 5, 6 and 8: token text and systems, $everything by POST and paged, a truthful CapabilityStatement, `:of-type`. */
let server: TestServer;
let patient: Patient;
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

beforeAll(async () => {
  server = await startTestServer();
  const created = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ family: 'Everything' }],
    identifier: [
      { type: { coding: [{ system: V2_0203, code: 'MR' }] }, system: 'urn:test:mrn', value: 'E-100' },
      { type: { coding: [{ system: V2_0203, code: 'SS' }] }, system: 'urn:test:ssn', value: 'E-200' },
    ],
  });
  patient = (await created.json()) as Patient;
  const org = (await (
    await server.call('him-technician', 'POST', '/fhir/R4/Organization', {
      resourceType: 'Organization',
      name: 'Clinic',
    })
  ).json()) as { id: string };
  for (let i = 0; i < 6; i += 1)
    await server.call('him-technician', 'POST', '/fhir/R4/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: `everything ${i}` },
      subject: { reference: `Patient/${patient.id ?? ''}` },
      performer: [{ reference: `Organization/${org.id}` }],
    });
  // Another patient whose SS number has the same value as the first one's MR number.
  await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    identifier: [
      { type: { coding: [{ system: V2_0203, code: 'SS' }] }, system: 'urn:test:ssn', value: 'E-100' },
    ],
  });
});
afterAll(async () => server?.stop());

const json = async <T>(res: Response): Promise<T> => {
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};
const idsOf = (b: Bundle): string[] =>
  (b.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);

describe('Patient/$everything', () => {
  it('answers a POST as a GET, the whole chart: patient, its records and what they refer to', async () => {
    const path = `/fhir/R4/Patient/${patient.id ?? ''}/$everything`;
    const got = await json<Bundle>(await server.call('him-technician', 'GET', path));
    const posted = await json<Bundle>(await server.call('him-technician', 'POST', path));
    expect(idsOf(posted)).toEqual(idsOf(got));
    expect(got.total).toBe(8);
    expect(idsOf(got)[0]).toBe(`Patient/${patient.id ?? ''}`);
    expect(idsOf(got).filter((x) => x.startsWith('Organization/'))).toHaveLength(1);
  });

  it('pages by _count with next links, every record once, total the whole chart', async () => {
    const path = `/fhir/R4/Patient/${patient.id ?? ''}/$everything`;
    const whole = idsOf(await json<Bundle>(await server.call('him-technician', 'GET', path)));
    const pages: Bundle[] = [
      await json<Bundle>(await server.call('him-technician', 'GET', `${path}?_count=3`)),
    ];
    for (let next = pages[0]?.link?.find((l) => l.relation === 'next')?.url; next;) {
      const page = await json<Bundle>(
        await server.call('him-technician', 'GET', new URL(next).pathname + new URL(next).search),
      );
      pages.push(page);
      next = page.link?.find((l) => l.relation === 'next')?.url;
    }
    expect(pages.map((p) => p.entry?.length)).toEqual([3, 3, 2]);
    expect(pages.every((p) => p.total === 8)).toBe(true);
    expect(pages.flatMap(idsOf)).toEqual(whole);
    const posted = await json<Bundle>(
      await server.call('him-technician', 'POST', path, {
        resourceType: 'Parameters',
        parameter: [{ name: '_count', valueInteger: 5 }],
      }),
    );
    expect(posted.entry).toHaveLength(5);
    const unknown = await server.call('him-technician', 'GET', `${path}?_since=2020-01-01`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
  });
});

describe('the CapabilityStatement', () => {
  it('offers only the writes some role may make, from the permission table', async () => {
    const cs = await json<CapabilityStatement>(await server.call(null, 'GET', '/fhir/R4/metadata'));
    const resources = cs.rest?.[0]?.resource ?? [];
    const audit = resources.find((r) => r.type === 'AuditEvent');
    const codes = (r: typeof audit) => (r?.interaction ?? []).map((i) => i.code);
    expect(codes(audit)).toEqual(expect.arrayContaining(['read', 'search-type']));
    for (const write of ['create', 'update', 'patch', 'delete']) expect(codes(audit)).not.toContain(write);
    expect([audit?.conditionalUpdate, audit?.conditionalDelete, audit?.conditionalCreate]).toEqual([
      false,
      'not-supported',
      false,
    ]);
    const patientCaps = resources.find((r) => r.type === 'Patient');
    expect(codes(patientCaps)).toEqual(expect.arrayContaining(['create', 'update', 'patch', 'delete']));
    expect([patientCaps?.conditionalUpdate, patientCaps?.conditionalDelete]).toEqual([true, 'single']);
    for (const r of resources) {
      const may = (action: 'create' | 'delete') => ROLES.some((role) => isAllowed(role, r.type, action));
      expect([r.type, codes(r).includes('create')]).toEqual([r.type, may('create')]);
      expect([r.type, codes(r).includes('delete')]).toEqual([r.type, may('delete')]);
    }
    // What it offers, it does: no role may create an AuditEvent.
    const refused = await server.call('admin', 'POST', '/fhir/R4/AuditEvent', { resourceType: 'AuditEvent' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });

  it("lists R4's 146 resource types and no later release's", async () => {
    const cs = await json<CapabilityStatement>(await server.call(null, 'GET', '/fhir/R4/metadata'));
    const types = (cs.rest?.[0]?.resource ?? []).map((r) => r.type);
    expect(types).toHaveLength(146);
    expect(types).toEqual(expect.arrayContaining(['Patient', 'Subscription', 'Bundle', 'Binary']));
    // SubscriptionStatus came with R4B: not offered, and refused as an unknown type.
    expect(types).not.toContain('SubscriptionStatus');
    const posted = await server.call('admin', 'POST', '/fhir/R4/SubscriptionStatus', {
      resourceType: 'SubscriptionStatus',
      status: 'active',
      type: 'heartbeat',
    });
    expect(posted.status).toBe(404);
    expect(((await posted.json()) as OperationOutcome).issue[0]?.diagnostics).toMatch(/SubscriptionStatus/);
  });
});

describe('identifier:of-type', () => {
  it('matches the identifier of that type with that value only', async () => {
    const search = async (value: string) =>
      idsOf(
        await json<Bundle>(
          await server.call(
            'him-technician',
            'GET',
            `/fhir/R4/Patient?identifier:of-type=${encodeURIComponent(value)}`,
          ),
        ),
      );
    expect(await search(`${V2_0203}|MR|E-100`)).toEqual([`Patient/${patient.id ?? ''}`]);
    expect(await search(`${V2_0203}|SS|E-200`)).toEqual([`Patient/${patient.id ?? ''}`]);
    expect(await search(`${V2_0203}|SS|E-100`)).toHaveLength(1);
    expect(await search(`${V2_0203}|SS|E-100`)).not.toContain(`Patient/${patient.id ?? ''}`);
    expect(await search(`${V2_0203}|MR|E-200`)).toEqual([]);
    const bad = await server.call('him-technician', 'GET', '/fhir/R4/Patient?identifier:of-type=MR|E-100');
    expect(bad.status).toBe(400);
  });
});

describe('token search', () => {
  it('code:text finds the concept text beside a coding display', async () => {
    const created = (await (
      await server.call('him-technician', 'POST', '/fhir/R4/Observation', {
        resourceType: 'Observation',
        status: 'final',
        code: {
          text: 'Fasting plasma glucose',
          coding: [{ system: 'http://loinc.org', code: '1558-6', display: 'Glucose [Mass/volume] in Serum' }],
        },
      })
    ).json()) as { id: string };
    for (const text of ['fasting', 'Fasting plasma', 'glucose [mass'])
      expect(
        idsOf(
          await json<Bundle>(
            await server.call(
              'him-technician',
              'GET',
              `/fhir/R4/Observation?code:text=${encodeURIComponent(text)}`,
            ),
          ),
        ),
      ).toEqual([`Observation/${created.id}`]);
  });

  it('finds a code-typed element by the system of its required binding, and by a ValueSet of it', async () => {
    const gender = 'http://hl7.org/fhir/administrative-gender';
    const male = (await (
      await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        gender: 'male',
      })
    ).json()) as { id: string };
    const search = async (query: string) =>
      idsOf(
        await json<Bundle>(
          await server.call('him-technician', 'GET', `/fhir/R4/Patient?${query}&_count=1000`),
        ),
      );
    expect(await search(`gender=${encodeURIComponent(`${gender}|male`)}`)).toContain(`Patient/${male.id}`);
    expect(await search(`gender=${encodeURIComponent(`${gender}|female`)}`)).not.toContain(
      `Patient/${male.id}`,
    );
    expect(await search(`gender=${encodeURIComponent('http://other|male')}`)).toEqual([]);
    const valueSet = 'urn:test:vs:male-only';
    await server.call('admin', 'POST', '/fhir/R4/ValueSet', {
      resourceType: 'ValueSet',
      url: valueSet,
      status: 'active',
      compose: { include: [{ system: gender, concept: [{ code: 'male' }] }] },
    });
    const inSet = await search(`gender:in=${encodeURIComponent(valueSet)}`);
    expect(inSet).toEqual([`Patient/${male.id}`]);
  });
});
