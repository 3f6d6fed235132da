import type { OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../cli/context.ts';
import { MAX_JSON_DEPTH } from '../fhir/json-shape.ts';
import { FhirStore } from '../fhir/store.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../testing/test-server.ts';

/**
 * Hostile or malformed input answers a 4xx OperationOutcome, never a 500: each case here was a
 * 500 (a stack overflow in the validator, a database error, a TypeError) before it was handled.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

async function expectOutcome(res: Response, status: number): Promise<OperationOutcome> {
  const body = (await res.json()) as OperationOutcome;
  expect({ status: res.status, type: body.resourceType }).toEqual({ status, type: 'OperationOutcome' });
  return body;
}

const diagnostics = (o: OperationOutcome): string => o.issue?.[0]?.diagnostics ?? '';

/** JSON text of `depth` nested arrays around a string (JSON.stringify itself overflows on deep values). */
const nestedArrays = (depth: number): string => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
/** JSON text of an extension nesting `depth` extensions. */
const nestedExtension = (depth: number): string =>
  `${'{"url":"http://example.org/e","extension":['.repeat(depth)}{"url":"http://example.org/e","valueString":"x"}${']}'.repeat(depth)}`;

/** Patients in the store, asked of the store as the system. */
const patientCount = async (): Promise<number> =>
  new FhirStore(server.db, cliContext()).count({ type: 'Patient' });

describe('nesting deeper than the limit', () => {
  it('is refused with 400 before validation, and nothing is written', async () => {
    const before = await patientCount();
    for (const body of [
      `{"resourceType":"Patient","name":[{"given":${nestedArrays(20_000)}}]}`,
      `{"resourceType":"Patient","extension":[${nestedExtension(3000)}]}`,
      `{"resourceType":"Patient","extension":[${nestedExtension(MAX_JSON_DEPTH)}]}`,
    ]) {
      const outcome = await expectOutcome(await server.call('admin', 'POST', '/fhir/R4/Patient', body), 400);
      expect(diagnostics(outcome)).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    const bundle = `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","extension":[${nestedExtension(3000)}]}}]}`;
    await expectOutcome(await server.call('admin', 'POST', '/fhir/R4', bundle), 400);
    expect(await patientCount()).toBe(before);
  });

  it('leaves real nesting alone', async () => {
    const res = await server.call(
      'admin',
      'POST',
      '/fhir/R4/Patient',
      `{"resourceType":"Patient","extension":[${nestedExtension(20)}]}`,
    );
    expect(res.status).toBe(201);
  });
});

describe('a NUL character', () => {
  it('in a search value, a path, a form body or a JSON string is a 400', async () => {
    for (const path of ['/fhir/R4/Patient?family=a%00b', '/fhir/R4/Patient/a%00b', '/admin/users/a%00b/role'])
      await expectOutcome(
        await server.call(
          'admin',
          path.startsWith('/admin') ? 'PUT' : 'GET',
          path,
          path.startsWith('/admin') ? { role: 'coder' } : undefined,
        ),
        400,
      );
    await expectOutcome(
      await server.call('admin', 'POST', '/fhir/R4/Patient/_search', 'family=a%00b', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      400,
    );
    await expectOutcome(
      await server.call(
        null,
        'POST',
        '/oauth2/token',
        `grant_type=password&username=a%00b&password=${TEST_PASSWORD}`,
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
      ),
      400,
    );
    const before = await patientCount();
    await expectOutcome(
      await server.call(
        'admin',
        'POST',
        '/fhir/R4/Patient',
        '{"resourceType":"Patient","name":[{"family":"a\\u0000b"}]}',
      ),
      400,
    );
    expect(await patientCount()).toBe(before);
  });
});

describe('other malformed requests', () => {
  it('a version number beyond any version is 404', async () => {
    const created = await server.call('admin', 'POST', '/fhir/R4/Patient', { resourceType: 'Patient' });
    const id = ((await created.json()) as { id: string }).id;
    for (const vid of ['9999999999999999999999', '9007199254740993'])
      await expectOutcome(await server.call('admin', 'GET', `/fhir/R4/Patient/${id}/_history/${vid}`), 404);
    await expectOutcome(
      await server.call('admin', 'GET', '/fhir/R4/Patient/x/_history/9999999999999999999999'),
      404,
    );
  });

  it('a batch or transaction whose entry is null or not a list is 400', async () => {
    for (const type of ['batch', 'transaction'])
      for (const entry of [[null], { request: { method: 'GET', url: 'Patient' } }, [42], 'Patient']) {
        const outcome = await expectOutcome(
          await server.call('admin', 'POST', '/fhir/R4', { resourceType: 'Bundle', type, entry }),
          400,
        );
        expect(diagnostics(outcome), `${type} ${JSON.stringify(entry)}`).toMatch(/Bundle\.entry/);
      }
  });

  it('$match with a Patient that is not valid FHIR (name as a string) is 400', async () => {
    await expectOutcome(
      await server.call('admin', 'POST', '/fhir/R4/Patient/$match', {
        resourceType: 'Parameters',
        parameter: [{ name: 'resource', resource: { resourceType: 'Patient', name: 'smith' } }],
      }),
      400,
    );
  });

  it('$merge and $match refuse Parameters whose parameter is not a list of objects', async () => {
    for (const operation of ['$merge', '$match'])
      for (const parameter of ['x', { name: 'source-patient' }, [null], [5]])
        await expectOutcome(
          await server.call('admin', 'POST', `/fhir/R4/Patient/${operation}`, {
            resourceType: 'Parameters',
            parameter,
          }),
          400,
        );
  });

  it('the duplicate worklist refuses an offset or limit that is not a whole number in range', async () => {
    for (const query of ['offset=1e400', 'offset=1e20', 'offset=-1', 'offset=abc', 'limit=1.5', 'limit=0'])
      await expectOutcome(await server.call('admin', 'GET', `/mpi/worklist?${query}`), 400);
    expect((await server.call('admin', 'GET', '/mpi/worklist?offset=0&limit=10')).status).toBe(200);
  });
});
