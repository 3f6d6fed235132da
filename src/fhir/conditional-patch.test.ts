import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** Issue #14 item 9: PATCH, conditional update and conditional delete, with access checks and audit. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

const SYSTEM = 'urn:test:mrn';
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

async function createPatient(value: string, restricted = false): Promise<Patient> {
  const res = await server.call('admin', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    identifier: [{ system: SYSTEM, value }],
    name: [{ family: `Fam${value}`, given: ['Ada'] }],
    gender: 'female',
    ...(restricted ? { meta: { security: [RESTRICTED] } } : {}),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Patient;
}

/** The version a privacy officer (who sees restricted records) reads, or the status when none. */
async function versionOf(id: string): Promise<string | number> {
  const res = await server.call('privacy-officer', 'GET', `/fhir/R4/Patient/${id}`);
  return res.status === 200 ? (((await res.json()) as Patient).meta?.versionId ?? '') : res.status;
}

async function audited(role: Role, query: string): Promise<number> {
  const res = await server.call(role, 'GET', `/fhir/R4/AuditEvent?${query}&_summary=count`);
  return ((await res.json()) as Bundle).total ?? 0;
}

describe('PATCH with JSON Patch', () => {
  it('applies the operations as a new version, audited as an update', async () => {
    const p = await createPatient('patch-1');
    const res = await server.call(
      'him-technician',
      'PATCH',
      `/fhir/R4/Patient/${p.id ?? ''}`,
      [
        { op: 'test', path: '/gender', value: 'female' },
        { op: 'replace', path: '/gender', value: 'male' },
        { op: 'add', path: '/name/0/given/-', value: 'Bea' },
      ],
      { ...JSON_PATCH, 'if-match': 'W/"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('W/"2"');
    const patched = (await res.json()) as Patient;
    expect(patched.gender).toBe('male');
    expect(patched.name?.[0]?.given).toEqual(['Ada', 'Bea']);
    expect(await versionOf(p.id ?? '')).toBe('2');
    expect(await audited('auditor', `entity=Patient/${p.id ?? ''}&action=U`)).toBe(1);
  });

  it('refuses what it cannot apply and writes nothing', async () => {
    const p = await createPatient('patch-2');
    const path = `/fhir/R4/Patient/${p.id ?? ''}`;
    const cases: Array<[number, unknown, Record<string, string>]> = [
      [412, [{ op: 'replace', path: '/gender', value: 'male' }], { ...JSON_PATCH, 'if-match': 'W/"7"' }],
      [422, [{ op: 'test', path: '/gender', value: 'male' }], JSON_PATCH],
      [422, [{ op: 'remove', path: '/birthDate' }], JSON_PATCH],
      [400, [{ op: 'frobnicate', path: '/gender' }], JSON_PATCH],
      [400, { op: 'replace', path: '/gender', value: 'male' }, JSON_PATCH],
      [422, [{ op: 'replace', path: '/id', value: 'other' }], JSON_PATCH],
      [400, [{ op: 'replace', path: '/gender', value: 'robot' }], JSON_PATCH],
      [400, [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], JSON_PATCH],
      [415, [{ op: 'replace', path: '/gender', value: 'male' }], {}],
    ];
    for (const [status, body, headers] of cases) {
      const res = await server.call('him-technician', 'PATCH', path, body, headers);
      expect([status, JSON.stringify(body)]).toEqual([res.status, JSON.stringify(body)]);
      expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    }
    const coder = await server.call('coder', 'PATCH', path, [{ op: 'remove', path: '/gender' }], JSON_PATCH);
    expect(coder.status).toBe(403);
    expect(await versionOf(p.id ?? '')).toBe('1');
  });

  it('does not patch a record the caller may not see', async () => {
    const secret = await createPatient('patch-secret', true);
    const patch = [{ op: 'replace', path: '/gender', value: 'male' }];
    const res = await server.call(
      'him-technician',
      'PATCH',
      `/fhir/R4/Patient/${secret.id ?? ''}`,
      patch,
      JSON_PATCH,
    );
    expect(res.status).toBe(403);
    expect(await versionOf(secret.id ?? '')).toBe('1');
    const missing = await server.call(
      'him-technician',
      'PATCH',
      '/fhir/R4/Patient/no-such',
      patch,
      JSON_PATCH,
    );
    expect(missing.status).toBe(404);
  });
});

describe('PATCH with FHIRPath Patch', () => {
  const operation = (parts: Array<Record<string, unknown>>) => ({ name: 'operation', part: parts });
  const op = (type: string, path: string, more: Array<Record<string, unknown>> = []) =>
    operation([{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...more]);

  it('adds, inserts, replaces, deletes and moves as a new version', async () => {
    const created = await server.call('admin', 'POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      identifier: [
        { system: 'urn:test:a', value: 'fp-1' },
        { system: 'urn:test:b', value: 'fp-2' },
      ],
      name: [{ family: 'Path', given: ['Ada', 'Bea'] }],
      gender: 'female',
    });
    const p = (await created.json()) as Patient;
    const res = await server.call('him-technician', 'PATCH', `/fhir/R4/Patient/${p.id ?? ''}`, {
      resourceType: 'Parameters',
      parameter: [
        op('replace', 'Patient.gender', [{ name: 'value', valueCode: 'male' }]),
        op('add', 'Patient', [
          { name: 'name', valueString: 'birthDate' },
          { name: 'value', valueDate: '1990-01-02' },
        ]),
        op('add', 'Patient', [
          { name: 'name', valueString: 'telecom' },
          {
            name: 'value',
            part: [
              { name: 'system', valueCode: 'phone' },
              { name: 'value', valueString: '555-0100' },
            ],
          },
        ]),
        op('delete', "Patient.identifier.where(system='urn:test:b')"),
        op('insert', 'Patient.name[0].given', [
          { name: 'index', valueInteger: 0 },
          { name: 'value', valueString: 'Zoe' },
        ]),
        op('move', 'Patient.name[0].given', [
          { name: 'source', valueInteger: 2 },
          { name: 'destination', valueInteger: 0 },
        ]),
      ],
    });
    expect(res.status).toBe(200);
    const patched = (await res.json()) as Patient;
    expect(patched.meta?.versionId).toBe('2');
    expect([patched.gender, patched.birthDate]).toEqual(['male', '1990-01-02']);
    expect(patched.telecom).toEqual([{ system: 'phone', value: '555-0100' }]);
    expect(patched.identifier?.map((i) => i.value)).toEqual(['fp-1']);
    expect(patched.name?.[0]?.given).toEqual(['Bea', 'Zoe', 'Ada']);
    expect(await versionOf(p.id ?? '')).toBe('2');
  });

  it('refuses an operation it cannot apply and writes nothing', async () => {
    const p = await createPatient('fp-refused');
    for (const [status, parameter] of [
      [422, [op('replace', 'Patient.birthDate', [{ name: 'value', valueDate: '2000-01-01' }])]],
      [422, [op('replace', 'Patient.id', [{ name: 'value', valueId: 'other' }])]],
      [400, [op('replace', 'Patient.gender', [{ name: 'value', valueCode: 'robot' }])]],
      [400, [op('frobnicate', 'Patient.gender')]],
      [400, [op('delete', 'Patient.name.where(')]],
      [400, 'not a list'],
      [400, [{ name: 'operation', part: 'not a list' }]],
    ] as const) {
      const res = await server.call('him-technician', 'PATCH', `/fhir/R4/Patient/${p.id ?? ''}`, {
        resourceType: 'Parameters',
        parameter,
      });
      expect([res.status, JSON.stringify(parameter)]).toEqual([status, JSON.stringify(parameter)]);
    }
    expect(await versionOf(p.id ?? '')).toBe('1');
  });
});

describe('conditional update', () => {
  const put = (criteria: string, body: unknown, role: Role = 'him-technician', headers = {}) =>
    server.call(role, 'PUT', `/fhir/R4/Patient?${criteria}`, body, headers);
  const patient = (value: string, gender: Patient['gender'], id?: string): Patient => ({
    resourceType: 'Patient',
    ...(id ? { id } : {}),
    identifier: [{ system: SYSTEM, value }],
    gender,
  });

  it('creates when nothing matches and updates the one match', async () => {
    const criteria = `identifier=${SYSTEM}|cu-1`;
    const created = await put(criteria, patient('cu-1', 'female'));
    expect(created.status).toBe(201);
    const first = (await created.json()) as Patient;
    expect(created.headers.get('location')).toContain(`/Patient/${first.id ?? ''}/_history/1`);
    const updated = await put(criteria, patient('cu-1', 'male'));
    expect(updated.status).toBe(200);
    const second = (await updated.json()) as Patient;
    expect([second.id, second.meta?.versionId, second.gender]).toEqual([first.id, '2', 'male']);
    expect(
      (await put(criteria, patient('cu-1', 'other'), 'him-technician', { 'if-match': 'W/"1"' })).status,
    ).toBe(412);
    expect((await put(criteria, patient('cu-1', 'other', 'another-id'))).status).toBe(400);
    expect((await put(criteria, patient('cu-1', 'other'), 'coder')).status).toBe(403);
    expect(await versionOf(first.id ?? '')).toBe('2');
    expect(
      (await server.call('him-technician', 'PUT', '/fhir/R4/Patient', patient('x', 'male'))).status,
    ).toBe(400);
  });

  it('refuses several matches, and a record the caller may not see never matches', async () => {
    await createPatient('cu-twice');
    await createPatient('cu-twice');
    expect((await put(`identifier=${SYSTEM}|cu-twice`, patient('cu-twice', 'male'))).status).toBe(412);
    const secret = await createPatient('cu-secret', true);
    const res = await put(`identifier=${SYSTEM}|cu-secret`, patient('cu-secret', 'male'));
    expect(res.status).toBe(201);
    expect(((await res.json()) as Patient).id).not.toBe(secret.id);
    expect(await versionOf(secret.id ?? '')).toBe('1');
  });
});

describe('conditional delete', () => {
  const del = (value: string, role: Role = 'him-director') =>
    server.call(role, 'DELETE', `/fhir/R4/Patient?identifier=${SYSTEM}|${value}`);

  it('deletes the one match, audited, and answers 404 when none matches', async () => {
    const p = await createPatient('cd-1');
    expect((await del('cd-1', 'him-technician')).status).toBe(403);
    expect(await versionOf(p.id ?? '')).toBe('1');
    expect((await del('cd-1')).status).toBe(204);
    expect(await versionOf(p.id ?? '')).toBe(410);
    expect(await audited('auditor', `entity=Patient/${p.id ?? ''}&action=D`)).toBe(1);
    expect((await del('cd-1')).status).toBe(404);
  });

  it('refuses several matches and never matches a record the caller may not see', async () => {
    const twins = [await createPatient('cd-twice'), await createPatient('cd-twice')];
    expect((await del('cd-twice')).status).toBe(412);
    const secret = await createPatient('cd-secret', true);
    expect((await del('cd-secret')).status).toBe(404);
    expect(await versionOf(secret.id ?? '')).toBe('1');
    for (const t of twins) expect(await versionOf(t.id ?? '')).toBe('1');
    expect((await server.call('him-director', 'DELETE', '/fhir/R4/Patient')).status).toBe(400);
  });
});

describe('conditional update and delete in bundles', () => {
  const bundle = (type: 'transaction' | 'batch', entry: unknown[]) => ({
    resourceType: 'Bundle',
    type,
    entry,
  });
  const putEntry = (value: string, gender: Patient['gender']) => ({
    resource: { resourceType: 'Patient', identifier: [{ system: SYSTEM, value }], gender },
    request: { method: 'PUT', url: `Patient?identifier=${SYSTEM}|${value}` },
  });
  const deleteEntry = (value: string) => ({
    request: { method: 'DELETE', url: `Patient?identifier=${SYSTEM}|${value}` },
  });
  const statuses = (b: Bundle) => (b.entry ?? []).map((e) => e.response?.status.slice(0, 3));

  it('resolves them in a transaction, as the caller sees records, all or nothing', async () => {
    const doomed = await createPatient('tx-doomed');
    const first = await server.call(
      'him-director',
      'POST',
      '/fhir/R4',
      bundle('transaction', [putEntry('tx-1', 'female'), deleteEntry('tx-doomed')]),
    );
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as Bundle;
    expect(statuses(firstBody)).toEqual(['201', '204']);
    expect(await versionOf(doomed.id ?? '')).toBe(410);
    const createdId = (firstBody.entry?.[0]?.resource as Patient | undefined)?.id ?? '';
    const second = (await (
      await server.call('him-director', 'POST', '/fhir/R4', bundle('transaction', [putEntry('tx-1', 'male')]))
    ).json()) as Bundle;
    expect(statuses(second)).toEqual(['200']);
    expect(await versionOf(createdId)).toBe('2');

    const secret = await createPatient('tx-secret', true);
    const refused = await server.call(
      'him-director',
      'POST',
      '/fhir/R4',
      bundle('transaction', [putEntry('tx-1', 'other'), deleteEntry('tx-secret')]),
    );
    expect(refused.status).toBe(404);
    expect([await versionOf(createdId), await versionOf(secret.id ?? '')]).toEqual(['2', '1']);
  });

  it('patches in a transaction and a batch: a Binary JSON Patch or a Parameters FHIRPath Patch', async () => {
    const [a, b] = [await createPatient('bp-a'), await createPatient('bp-b')];
    const secret = await createPatient('bp-secret', true);
    const jsonPatch = (id: string) => ({
      resource: {
        resourceType: 'Binary',
        contentType: 'application/json-patch+json',
        data: Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }])).toString(
          'base64',
        ),
      },
      request: { method: 'PATCH', url: `Patient/${id}` },
    });
    const fhirPathPatch = {
      resource: {
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'operation',
            part: [
              { name: 'type', valueCode: 'replace' },
              { name: 'path', valueString: 'Patient.gender' },
              { name: 'value', valueCode: 'other' },
            ],
          },
        ],
      },
      request: { method: 'PATCH', url: `Patient/${b.id ?? ''}` },
    };
    const tx = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4',
      bundle('transaction', [jsonPatch(a.id ?? ''), fhirPathPatch]),
    );
    expect(statuses((await tx.json()) as Bundle)).toEqual(['200', '200']);
    expect([await versionOf(a.id ?? ''), await versionOf(b.id ?? '')]).toEqual(['2', '2']);
    const refused = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4',
      bundle('transaction', [jsonPatch(b.id ?? ''), jsonPatch(secret.id ?? '')]),
    );
    expect(refused.status).toBe(403);
    const batch = (await (
      await server.call(
        'him-technician',
        'POST',
        '/fhir/R4',
        bundle('batch', [jsonPatch(b.id ?? ''), jsonPatch(secret.id ?? '')]),
      )
    ).json()) as Bundle;
    expect(statuses(batch)).toEqual(['200', '403']);
    expect([await versionOf(b.id ?? ''), await versionOf(secret.id ?? '')]).toEqual(['3', '1']);
  });

  it('runs them entry by entry in a batch', async () => {
    await createPatient('batch-del');
    const res = (await (
      await server.call(
        'him-director',
        'POST',
        '/fhir/R4',
        bundle('batch', [putEntry('batch-1', 'female'), deleteEntry('batch-del'), deleteEntry('batch-none')]),
      )
    ).json()) as Bundle;
    expect(statuses(res)).toEqual(['201', '204', '404']);
  });
});
