import { readFileSync } from 'node:fs';
import type { AuditEvent, Bundle, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

const example = (name: string): Resource =>
  JSON.parse(readFileSync(sharedTestdata('fhir-r4-examples', name), 'utf8')) as Resource;

const newPatient = (family: string): Patient => ({
  resourceType: 'Patient',
  name: [{ family, given: ['Ada'] }],
  gender: 'female',
  birthDate: '1970-03-14',
});

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('FHIR REST basics', () => {
  it('serves a CapabilityStatement without a token', async () => {
    const res = await server.call(null, 'GET', '/fhir/R4/metadata');
    expect(res.status).toBe(200);
    const cs = await json<{
      resourceType: string;
      fhirVersion: string;
      rest: Array<{ resource: Array<{ type: string; searchParam?: Array<{ name: string }> }> }>;
    }>(res);
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    const patient = cs.rest[0]?.resource.find((r) => r.type === 'Patient');
    expect(patient?.searchParam?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['family', 'birthdate', 'identifier', '_has']),
    );
  });

  it('refuses anonymous and bad-token calls with 401 OperationOutcome', async () => {
    const anon = await server.call(null, 'GET', '/fhir/R4/Patient');
    expect(anon.status).toBe(401);
    expect((await json<{ resourceType: string }>(anon)).resourceType).toBe('OperationOutcome');
    const bad = await fetch(`${server.url}/fhir/R4/Patient`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('creates, reads, updates, vreads, deletes with versions and ETags', async () => {
    const created = await server.call('him-technician', 'POST', '/fhir/R4/Patient', newPatient('Lovelace'));
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    const p = await json<Patient>(created);
    expect(p.id).toBeTruthy();
    expect(created.headers.get('location')).toContain(`/Patient/${p.id}/_history/1`);

    const read = await server.call('him-technician', 'GET', `/fhir/R4/Patient/${p.id}`);
    expect(read.status).toBe(200);
    expect((await json<Patient>(read)).name?.[0]?.family).toBe('Lovelace');

    const updated = await server.call(
      'him-technician',
      'PUT',
      `/fhir/R4/Patient/${p.id}`,
      { ...p, gender: 'other' },
      { 'if-match': 'W/"1"' },
    );
    expect(updated.status).toBe(200);
    expect((await json<Patient>(updated)).meta?.versionId).toBe('2');

    const stale = await server.call(
      'him-technician',
      'PUT',
      `/fhir/R4/Patient/${p.id}`,
      { ...p, gender: 'male' },
      { 'if-match': 'W/"1"' },
    );
    expect(stale.status).toBe(412);

    const v1 = await json<Patient>(
      await server.call('him-technician', 'GET', `/fhir/R4/Patient/${p.id}/_history/1`),
    );
    expect(v1.gender).toBe('female');

    const history = await json<Bundle>(
      await server.call('him-technician', 'GET', `/fhir/R4/Patient/${p.id}/_history`),
    );
    expect(history.type).toBe('history');
    expect(history.entry?.length).toBe(2);

    const del = await server.call('him-director', 'DELETE', `/fhir/R4/Patient/${p.id}`);
    expect(del.status).toBe(204);
    const gone = await server.call('him-technician', 'GET', `/fhir/R4/Patient/${p.id}`);
    expect(gone.status).toBe(410);
    const afterDelete = await json<Bundle>(
      await server.call('him-technician', 'GET', `/fhir/R4/Patient/${p.id}/_history`),
    );
    expect(afterDelete.entry?.length).toBe(3);
  });

  it('reads a part of a record with _summary and _elements', async () => {
    const created = await json<Patient>(
      await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
        ...newPatient('Partial'),
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ada Partial</div>' },
        contact: [{ name: { family: 'Partial', given: ['Kin'] } }],
      }),
    );
    const read = async (query: string) =>
      json<Patient>(
        await server.call('him-technician', 'GET', `/fhir/R4/Patient/${created.id ?? ''}?${query}`),
      );
    const summary = await read('_summary=true');
    expect(summary.name).toEqual(created.name);
    expect(summary.contact).toBeUndefined();
    expect(summary.text).toBeUndefined();
    expect(summary.meta?.tag?.some((t) => t.code === 'SUBSETTED')).toBe(true);
    expect((await read('_summary=data')).contact).toEqual(created.contact);
    const elements = await read('_elements=gender');
    expect(elements.gender).toBe('female');
    expect(elements.name).toBeUndefined();
    expect((await read('_summary=false')).contact).toEqual(created.contact);
    const bad = await server.call(
      'him-technician',
      'GET',
      `/fhir/R4/Patient/${created.id ?? ''}?_summary=count`,
    );
    expect(bad.status).toBe(400);
  });

  it("finds a user's audit trail by the identifier the events name them with", async () => {
    await server.call('him-technician', 'GET', '/fhir/R4/Patient?family=nobody-in-particular');
    const res = await server.call(
      'auditor',
      'GET',
      '/fhir/R4/AuditEvent?agent:identifier=urn:custodian:user|him-technician-user&_count=1000',
    );
    expect(res.status).toBe(200);
    const events = (await json<Bundle>(res)).entry?.map((e) => e.resource as AuditEvent) ?? [];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.agent?.[0]?.name === 'him-technician-user')).toBe(true);
    expect(events.some((e) => e.entity?.some((x) => x.description?.includes('nobody-in-particular')))).toBe(
      true,
    );
  });

  it('answers If-None-Match with 304 when the client holds the current version', async () => {
    const created = await json<Patient>(
      await server.call('him-technician', 'POST', '/fhir/R4/Patient', newPatient('Cached')),
    );
    const path = `/fhir/R4/Patient/${created.id ?? ''}`;
    const held = await server.call('him-technician', 'GET', path, undefined, { 'if-none-match': 'W/"1"' });
    expect(held.status).toBe(304);
    const cs = await json<{ rest: Array<{ resource: Array<{ type: string; conditionalRead?: string }> }> }>(
      await server.call(null, 'GET', '/fhir/R4/metadata'),
    );
    expect(cs.rest[0]?.resource.find((r) => r.type === 'Patient')?.conditionalRead).toBe('not-match');
    expect(held.headers.get('etag')).toBe('W/"1"');
    expect(await held.text()).toBe('');
    const stale = await server.call('him-technician', 'GET', path, undefined, {
      'if-none-match': 'W/"0", W/"7"',
    });
    expect(stale.status).toBe(200);
    expect((await json<Patient>(stale)).id).toBe(created.id);
  });

  it('says 406 to a client that accepts no JSON, and serves one that does', async () => {
    const path = '/fhir/R4/Patient?_count=1';
    for (const headers of [
      { accept: 'application/fhir+xml' },
      { accept: 'text/turtle, application/xml;q=0.9' },
    ]) {
      const res = await server.call('him-technician', 'GET', path, undefined, headers);
      expect(res.status).toBe(406);
      expect((await json<{ resourceType: string }>(res)).resourceType).toBe('OperationOutcome');
    }
    expect((await server.call('him-technician', 'GET', `${path}&_format=xml`)).status).toBe(406);
    for (const headers of [
      { accept: 'application/fhir+json' },
      { accept: 'application/json, text/plain' },
      { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    ])
      expect((await server.call('him-technician', 'GET', path, undefined, headers)).status).toBe(200);
    expect((await server.call('him-technician', 'GET', `${path}&_format=json`)).status).toBe(200);
    expect((await server.call('him-technician', 'GET', `${path}&_format=application/fhir+json`)).status).toBe(
      200,
    );
  });

  it('creates on update with a client id, and honours If-None-Exist', async () => {
    const put = await server.call('him-technician', 'PUT', '/fhir/R4/Patient/client-chosen-1', {
      ...newPatient('Hopper'),
      id: 'client-chosen-1',
    });
    expect(put.status).toBe(201);
    const body = { ...newPatient('Turing'), identifier: [{ system: 'urn:test:mrn', value: 'INE-1' }] };
    const first = await server.call('him-technician', 'POST', '/fhir/R4/Patient', body, {
      'if-none-exist': 'identifier=urn:test:mrn|INE-1',
    });
    expect(first.status).toBe(201);
    const second = await server.call('him-technician', 'POST', '/fhir/R4/Patient', body, {
      'if-none-exist': 'identifier=urn:test:mrn|INE-1',
    });
    expect(second.status).toBe(200);
    expect((await json<Patient>(second)).id).toBe((await json<Patient>(first)).id);
  });

  it('ANDs a repeated parameter of a POST _search, as a GET does', async () => {
    for (const given of [['Grace', 'Brewster'], ['Grace'], ['Brewster']])
      expect(
        (
          await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
            resourceType: 'Patient',
            name: [{ family: 'Andsearch', given }],
          })
        ).status,
      ).toBe(201);
    const form = 'family=Andsearch&given=Grace&given=Brewster';
    const get = await json<Bundle>(await server.call('him-technician', 'GET', `/fhir/R4/Patient?${form}`));
    const post = await json<Bundle>(
      await server.call('him-technician', 'POST', '/fhir/R4/Patient/_search', form, {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    );
    const givens = (b: Bundle) => (b.entry ?? []).map((e) => (e.resource as Patient).name?.[0]?.given);
    expect(givens(get)).toEqual([['Grace', 'Brewster']]);
    expect(givens(post)).toEqual(givens(get));
  });

  it('answers bad input with OperationOutcome and the right status', async () => {
    const malformed = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4/Patient',
      '{"resourceType": "Patient",',
    );
    expect(malformed.status).toBe(400);
    expect((await json<{ resourceType: string }>(malformed)).resourceType).toBe('OperationOutcome');
    expect((await server.call('him-technician', 'GET', '/fhir/R4/NotAType/1')).status).toBe(404);
    expect((await server.call('him-technician', 'GET', '/fhir/R4/Patient/does-not-exist')).status).toBe(404);
    const invalid = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      gender: 42,
    });
    expect(invalid.status).toBe(400);
    const unknownElement = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      colour: 'blue',
    });
    expect(unknownElement.status).toBe(400);
    const wrongType = await server.call('him-technician', 'POST', '/fhir/R4/Patient', 'name=x', {
      'content-type': 'text/plain',
    });
    expect(wrongType.status).toBe(415);
    const huge = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4/Patient',
      JSON.stringify({ resourceType: 'Patient', text: 'x'.repeat(60 * 1024 * 1024) }),
    );
    expect(huge.status).toBe(413);
    expect((await server.call('him-technician', 'GET', '/fhir/R4/Patient?colour=blue')).status).toBe(400);
    expect(
      (
        await server.call('him-technician', 'GET', '/fhir/R4/Patient?colour=blue', undefined, {
          prefer: 'handling=lenient',
        })
      ).status,
    ).toBe(200);
    const count = await json<Bundle>(
      await server.call('him-technician', 'GET', '/fhir/R4/Patient?family=Lovelace-none&_summary=count'),
    );
    expect(count.total).toBe(0);
  });

  it('never loses an update between concurrent writers', async () => {
    const p = await json<Patient>(
      await server.call('him-technician', 'POST', '/fhir/R4/Patient', newPatient('Concurrent')),
    );
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        server.call(
          'him-technician',
          'PUT',
          `/fhir/R4/Patient/${p.id}`,
          { ...p, name: [{ family: `Concurrent${i}` }] },
          { 'if-match': 'W/"1"' },
        ),
      ),
    );
    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(5);
    // Without If-Match every writer lands, each on its own version.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        server.call('him-technician', 'PUT', `/fhir/R4/Patient/${p.id}`, {
          ...p,
          gender: i % 2 ? 'male' : 'female',
        }),
      ),
    );
    const final = await json<Patient>(await server.call('him-technician', 'GET', `/fhir/R4/Patient/${p.id}`));
    expect(final.meta?.versionId).toBe('7');
  });
});

describe('bundles', () => {
  it.skipIf(!hasSharedTestdata)('runs the official example transaction bundle atomically', async () => {
    const bundle = example('Bundle-bundle-transaction.json') as Bundle;
    const res = await server.call('admin', 'POST', '/fhir/R4', bundle);
    // The example deletes and conditionally updates resources this server does not hold:
    // whatever the outcome, it is all-or-nothing and answered as FHIR.
    expect([200, 400, 404, 412]).toContain(res.status);
  });

  it('rolls back a whole transaction when one entry is invalid', async () => {
    const family = `Atomic${Date.now()}`;
    const res = await server.call('him-technician', 'POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:5b1c0f1e-0000-4000-8000-000000000001',
          resource: newPatient(family),
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(res.status).toBe(400);
    const found = await json<Bundle>(
      await server.call('him-technician', 'GET', `/fhir/R4/Patient?family=${family}`),
    );
    expect(found.entry ?? []).toHaveLength(0);
  });

  it('names the invalid entry of a large transaction (checked on the validation workers)', async () => {
    const family = `Large${Date.now()}`;
    const entry = Array.from({ length: 40 }, (_, i) => ({
      resource: i === 27 ? { ...newPatient(family), gender: 'neither' } : newPatient(family),
      request: { method: 'POST', url: 'Patient' },
    }));
    const res = await server.call('him-technician', 'POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry,
    });
    expect(res.status).toBe(400);
    const outcome = await json<{ issue: Array<{ diagnostics?: string }> }>(res);
    expect(outcome.issue[0]?.diagnostics).toMatch(/^Bundle entry 27: .*neither/);
    const found = await json<Bundle>(
      await server.call('him-technician', 'GET', `/fhir/R4/Patient?family=${family}&_summary=count`),
    );
    expect(found.total).toBe(0);
    entry[27] = { resource: newPatient(family), request: { method: 'POST', url: 'Patient' } };
    const ok = await server.call('him-technician', 'POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry,
    });
    expect(ok.status).toBe(200);
    const after = await json<Bundle>(
      await server.call('him-technician', 'GET', `/fhir/R4/Patient?family=${family}&_summary=count`),
    );
    expect(after.total).toBe(40);
  });

  it('refuses a transaction that changes one resource twice or repeats a fullUrl; a batch runs them in turn', async () => {
    const id = `twice-${Date.now()}`;
    const put = (family: string) => ({
      resource: { ...newPatient(family), id },
      request: { method: 'PUT', url: `Patient/${id}` },
    });
    const send = (type: string, entry: object[]) =>
      server.call('him-director', 'POST', '/fhir/R4', { resourceType: 'Bundle', type, entry });
    for (const entry of [
      [put('First'), put('Second')],
      [put('First'), { request: { method: 'DELETE', url: `Patient/${id}` } }],
      [
        { fullUrl: 'urn:uuid:5b1c0f1e-0000-4000-8000-0000000000aa', ...put('First') },
        {
          fullUrl: 'urn:uuid:5b1c0f1e-0000-4000-8000-0000000000aa',
          resource: newPatient('Other'),
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    ]) {
      const res = await send('transaction', entry);
      expect(res.status).toBe(400);
      expect((await json<{ issue: Array<{ diagnostics?: string }> }>(res)).issue[0]?.diagnostics).toMatch(
        /^Bundle entries 0 and 1 /,
      );
      expect((await server.call('him-director', 'GET', `/fhir/R4/Patient/${id}`)).status).toBe(404);
    }
    const absolute = await send('transaction', [
      { ...put('First'), request: { method: 'PUT', url: `http://elsewhere.example/fhir/Patient/${id}` } },
    ]);
    expect(absolute.status).toBe(400);
    expect(JSON.stringify(await absolute.json())).toContain('must be relative to this server');
    const batch = await json<Bundle>(await send('batch', [put('First'), put('Second')]));
    expect(batch.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(['201', '200']);
    const kept = await json<Patient>(await server.call('him-director', 'GET', `/fhir/R4/Patient/${id}`));
    expect(kept.name?.[0]?.family).toBe('Second');
  });

  it('resolves urn:uuid references and reports each batch entry on its own', async () => {
    const res = await server.call('him-technician', 'POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:5b1c0f1e-0000-4000-8000-000000000002',
          resource: newPatient('Urn'),
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Encounter',
            status: 'finished',
            class: { code: 'AMB' },
            subject: { reference: 'urn:uuid:5b1c0f1e-0000-4000-8000-000000000002' },
          },
          request: { method: 'POST', url: 'Encounter' },
        },
      ],
    });
    expect(res.status).toBe(200);
    const out = await json<Bundle>(res);
    const patientId = (out.entry?.[0]?.resource as Patient).id;
    expect((out.entry?.[1]?.resource as { subject: { reference: string } }).subject.reference).toBe(
      `Patient/${patientId}`,
    );

    const batch = await json<Bundle>(
      await server.call('him-technician', 'POST', '/fhir/R4', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: newPatient('BatchOk'), request: { method: 'POST', url: 'Patient' } },
          {
            resource: { resourceType: 'Patient', gender: 'nope' },
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      }),
    );
    expect(batch.entry?.[0]?.response?.status).toMatch(/^201/);
    expect(batch.entry?.[1]?.response?.status).toBe('400');
  });

  it('resolves the conditional references of a batch whose entries run one by one', async () => {
    const patient = await json<Patient>(
      await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
        ...newPatient('Condref'),
        identifier: [{ system: 'urn:test:mrn', value: 'CONDREF-1' }],
      }),
    );
    // The invalid second entry fails the batch's group commit, so each entry runs on its own.
    const batch = await json<Bundle>(
      await server.call('him-technician', 'POST', '/fhir/R4', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            resource: {
              resourceType: 'Encounter',
              status: 'finished',
              class: { code: 'AMB' },
              subject: { reference: 'Patient?identifier=urn:test:mrn|CONDREF-1' },
            },
            request: { method: 'POST', url: 'Encounter' },
          },
          {
            resource: { resourceType: 'Patient', gender: 'nope' },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: {
              resourceType: 'Encounter',
              status: 'finished',
              class: { code: 'AMB' },
              subject: { reference: 'Patient?identifier=urn:test:mrn|NO-SUCH' },
            },
            request: { method: 'POST', url: 'Encounter' },
          },
        ],
      }),
    );
    expect(batch.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(['201', '400', '404']);
    const encounter = batch.entry?.[0]?.resource as { subject: { reference: string } };
    expect(encounter.subject.reference).toBe(`Patient/${patient.id ?? ''}`);
  });
});
