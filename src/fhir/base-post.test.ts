import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** Issue #14 item 1: a transaction posted where a client library posts it must run, never be kept. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

const transaction = (family: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      resource: { resourceType: 'Patient', name: [{ family }] },
      request: { method: 'POST', url: 'Patient' },
    },
  ],
});

const patientsNamed = async (family: string): Promise<number> => {
  const res = await server.call('admin', 'GET', `/fhir/R4/Patient?family:exact=${family}&_summary=count`);
  return ((await res.json()) as Bundle).total ?? 0;
};

describe('a transaction posted to the base', () => {
  it('runs with or without the trailing slash', async () => {
    for (const [path, family] of [
      ['/fhir/R4', 'Slashless'],
      ['/fhir/R4/', 'Slashed'],
    ] as const) {
      const res = await server.call('admin', 'POST', path, transaction(family));
      expect(res.status).toBe(200);
      expect(((await res.json()) as Bundle).type).toBe('transaction-response');
      expect(await patientsNamed(family)).toBe(1);
    }
  });

  it('is refused as a record to store, as a batch is, and nothing is kept', async () => {
    for (const type of ['transaction', 'batch'] as const) {
      const body = { ...transaction(`Kept${type}`), type };
      const created = await server.call('admin', 'POST', '/fhir/R4/Bundle', body);
      expect(created.status).toBe(400);
      expect(((await created.json()) as OperationOutcome).issue?.[0]?.diagnostics).toMatch(/base URL/);
      const put = await server.call('admin', 'PUT', '/fhir/R4/Bundle/kept', { ...body, id: 'kept' });
      expect(put.status).toBe(400);
      expect(await patientsNamed(`Kept${type}`)).toBe(0);
    }
    const stored = await server.call('admin', 'GET', '/fhir/R4/Bundle?_summary=count');
    expect(((await stored.json()) as Bundle).total).toBe(0);
    // A document Bundle is a record and is still kept.
    const document = await server.call('admin', 'POST', '/fhir/R4/Bundle', {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient', name: [{ family: 'Collected' }] } as Patient }],
    });
    expect(document.status).toBe(201);
  });
});
