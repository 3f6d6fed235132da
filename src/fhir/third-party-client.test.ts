import type { Bundle, BundleEntry, Patient } from '@medplum/fhirtypes';
import { Client, type FhirResource } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * Issue #14: a maintained FHIR client nobody here wrote (fhir-kit-client) drives the API the way
 * its users would, through every interaction they lean on. It posts bundles to the base URL with
 * a trailing slash, follows `next` links as given, and sends PATCH as application/json-patch+json.
 */
let server: TestServer;
let client: Client;
beforeAll(async () => {
  server = await startTestServer();
  client = new Client({
    baseUrl: `${server.url}/fhir/R4`,
    bearerToken: await server.token('him-technician'),
  });
});
afterAll(async () => server?.stop());

const as = <T>(resource: FhirResource): T => resource as unknown as T;
const body = <T>(resource: T): FhirResource => resource as unknown as FhirResource;

/** Every page of a Bundle, by the client's own nextPage. */
async function pages(first: FhirResource): Promise<Bundle[]> {
  const out = [as<Bundle>(first)];
  for (let next = client.nextPage({ bundle: as(first) }); next;) {
    const page = await next;
    out.push(as<Bundle>(page));
    next = client.nextPage({ bundle: as(page) });
  }
  return out;
}

describe('fhir-kit-client against the server', () => {
  it('creates, reads, updates, vreads, creates conditionally and patches', async () => {
    const created = as<Patient>(
      await client.create({
        resourceType: 'Patient',
        body: body<Patient>({
          resourceType: 'Patient',
          identifier: [{ system: 'urn:test:fkc', value: 'fkc-1' }],
          name: [{ family: 'Kit', given: ['Fhir'] }],
          gender: 'female',
        }),
      }),
    );
    const id = created.id ?? '';
    expect(as<Patient>(await client.read({ resourceType: 'Patient', id })).name?.[0]?.family).toBe('Kit');

    const updated = as<Patient>(
      await client.update({
        resourceType: 'Patient',
        id,
        body: body({ ...created, birthDate: '1980-02-03' }),
      }),
    );
    expect(updated.meta?.versionId).toBe('2');
    const v1 = as<Patient>(await client.vread({ resourceType: 'Patient', id, version: '1' }));
    expect(v1.birthDate).toBeUndefined();

    const again = as<Patient>(
      await client.create({
        resourceType: 'Patient',
        body: body<Patient>({
          resourceType: 'Patient',
          identifier: [{ system: 'urn:test:fkc', value: 'fkc-1' }],
        }),
        options: { headers: { 'If-None-Exist': 'identifier=urn:test:fkc|fkc-1' } },
      }),
    );
    expect(again.id).toBe(id);

    const patched = as<Patient>(
      await client.patch({
        resourceType: 'Patient',
        id,
        jsonPatch: [{ op: 'replace', path: '/gender', value: 'male' }],
      }),
    );
    expect([patched.gender, patched.meta?.versionId]).toEqual(['male', '3']);

    const history = await pages(await client.request(`Patient/${id}/_history?_count=2`));
    expect(history.map((b) => b.entry?.length)).toEqual([2, 1]);
    expect(history.flatMap((b) => (b.entry ?? []).map((e) => e.resource?.meta?.versionId))).toEqual([
      '3',
      '2',
      '1',
    ]);
  });

  it('runs a transaction and a batch posted to the base, searches page by page and fetches $everything', async () => {
    const transaction = as<Bundle>(
      await client.transaction({
        body: body<Bundle>({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              fullUrl: 'urn:uuid:0b8f6c0e-5f3e-4a1c-9d7e-1a2b3c4d5e6f',
              resource: { resourceType: 'Patient', name: [{ family: 'Bundled' }] },
              request: { method: 'POST', url: 'Patient' },
            },
            ...Array.from({ length: 5 }, (_, i): BundleEntry => ({
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { text: `kit ${i}` },
                subject: { reference: 'urn:uuid:0b8f6c0e-5f3e-4a1c-9d7e-1a2b3c4d5e6f' },
              },
              request: { method: 'POST', url: 'Observation' },
            })),
          ],
        }),
      }),
    );
    expect(transaction.type).toBe('transaction-response');
    const patientId = /^Patient\/([^/]+)/.exec(transaction.entry?.[0]?.response?.location ?? '')?.[1] ?? '';
    expect(patientId).not.toBe('');

    const batch = as<Bundle>(
      await client.batch({
        body: body<Bundle>({
          resourceType: 'Bundle',
          type: 'batch',
          entry: [
            { request: { method: 'GET', url: `Patient/${patientId}` } },
            {
              resource: { resourceType: 'Patient', name: [{ family: 'Batched' }] },
              request: { method: 'POST', url: 'Patient' },
            },
          ],
        }),
      }),
    );
    expect(batch.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(['200', '201']);

    const search = await pages(
      await client.search({
        resourceType: 'Observation',
        searchParams: { subject: `Patient/${patientId}`, _count: 2 },
      }),
    );
    expect(search.map((b) => b.entry?.length)).toEqual([2, 2, 1]);
    expect(new Set(search.flatMap((b) => (b.entry ?? []).map((e) => e.resource?.id))).size).toBe(5);

    const everything = await pages(
      await client.operation({
        name: '$everything',
        resourceType: 'Patient',
        id: patientId,
        method: 'GET',
        input: { _count: 4 },
      }),
    );
    expect(everything.map((b) => b.entry?.length)).toEqual([4, 2]);
    const posted = as<Bundle>(
      await client.operation({ name: '$everything', resourceType: 'Patient', id: patientId }),
    );
    expect(posted.total).toBe(6);
  });
});
