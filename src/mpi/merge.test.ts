import type { Bundle, Parameters, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.stop());

async function create<T extends Resource>(resource: T): Promise<T & { id: string }> {
  const res = await server.call('him-technician', 'POST', `/fhir/R4/${resource.resourceType}`, resource);
  expect(res.status).toBe(201);
  return (await res.json()) as T & { id: string };
}

async function read<T extends Resource>(ref: string): Promise<T> {
  const res = await server.call('him-technician', 'GET', `/fhir/R4/${ref}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const mergeParams = (source: string, target: string): Parameters => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'source-patient', valueReference: { reference: `Patient/${source}` } },
    { name: 'target-patient', valueReference: { reference: `Patient/${target}` } },
  ],
});

/** A resource without what the store stamps on each version. */
function content(r: Resource): Resource {
  const { meta: _meta, ...rest } = r;
  return rest;
}

async function patientWithChart(
  family: string,
): Promise<{ patient: Patient & { id: string }; chart: string[] }> {
  const patient = await create<Patient>({
    resourceType: 'Patient',
    name: [{ family, given: ['Ada'] }],
    birthDate: '1970-03-04',
    gender: 'female',
  });
  const subject = { reference: `Patient/${patient.id}` };
  const encounter = await create({
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject,
  });
  const condition = await create({
    resourceType: 'Condition',
    subject,
    encounter: { reference: `Encounter/${encounter.id}` },
    code: { text: 'Asthma' },
  });
  const observation = await create({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'Heart rate' },
    subject,
    performer: [subject],
    encounter: { reference: `Encounter/${encounter.id}` },
    valueQuantity: { value: 72, unit: '/min' },
  });
  return {
    patient,
    chart: [`Encounter/${encounter.id}`, `Condition/${condition.id}`, `Observation/${observation.id}`],
  };
}

describe('Patient/$merge and $unmerge', () => {
  it('moves every compartment resource to the target and unmerge restores them exactly', async () => {
    const source = await patientWithChart('Lovelace');
    const target = await patientWithChart('Lovelace-King');
    const refs = [
      `Patient/${source.patient.id}`,
      `Patient/${target.patient.id}`,
      ...source.chart,
      ...target.chart,
    ];
    const before = new Map<string, Resource>();
    for (const ref of refs) before.set(ref, content(await read(ref)));

    const res = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4/Patient/$merge',
      mergeParams(source.patient.id, target.patient.id),
    );
    expect(res.status).toBe(200);
    const out = (await res.json()) as Parameters;
    const mergeId = out.parameter?.find((p) => p.name === 'merge-id')?.valueString;
    expect(mergeId).toBeTruthy();

    for (const ref of source.chart) {
      const text = JSON.stringify(await read(ref));
      expect(text).not.toContain(`Patient/${source.patient.id}`);
      expect(text).toContain(`Patient/${target.patient.id}`);
    }
    const everything = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Patient/${target.patient.id}/$everything`)
    ).json()) as Bundle;
    const inChart = new Set(everything.entry?.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
    for (const ref of [...source.chart, ...target.chart]) expect(inChart.has(ref)).toBe(true);
    const gone = await read<Patient>(`Patient/${source.patient.id}`);
    expect(gone.active).toBe(false);
    expect(gone.link).toEqual([
      { other: { reference: `Patient/${target.patient.id}` }, type: 'replaced-by' },
    ]);
    const survivor = await read<Patient>(`Patient/${target.patient.id}`);
    expect(survivor.link).toEqual([
      { other: { reference: `Patient/${source.patient.id}` }, type: 'replaces' },
    ]);

    const audit = await server.call(
      'auditor',
      'GET',
      '/fhir/R4/AuditEvent?subtype=urn:custodian:audit-action|merge&outcome=0&_count=100',
    );
    expect(audit.status).toBe(200);
    const merges = ((await audit.json()) as Bundle).entry ?? [];
    expect(merges.some((e) => JSON.stringify(e.resource).includes(`merge ${mergeId ?? ''}:`))).toBe(true);

    const again = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4/Patient/$merge',
      mergeParams(source.patient.id, target.patient.id),
    );
    expect(again.status).toBe(422);

    const undo = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$unmerge', {
      resourceType: 'Parameters',
      parameter: [{ name: 'merge-id', valueString: mergeId }],
    });
    expect(undo.status).toBe(200);
    for (const ref of refs) expect(content(await read(ref))).toEqual(before.get(ref));
    const twice = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$unmerge', {
      resourceType: 'Parameters',
      parameter: [{ name: 'merge-id', valueString: mergeId }],
    });
    expect(twice.status).toBe(422);
  });

  it('refuses a merge into itself, a missing patient, a bad body and a role without merge', async () => {
    const { patient } = await patientWithChart('Hopper');
    const other = await patientWithChart('Hopper');
    const self = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4/Patient/$merge',
      mergeParams(patient.id, patient.id),
    );
    expect(self.status).toBe(400);
    expect(((await self.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const missing = await server.call(
      'him-technician',
      'POST',
      '/fhir/R4/Patient/$merge',
      mergeParams('no-such', patient.id),
    );
    expect(missing.status).toBe(404);
    const bad = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$merge', {
      resourceType: 'Patient',
    });
    expect(bad.status).toBe(400);
    const coder = await server.call(
      'coder',
      'POST',
      '/fhir/R4/Patient/$merge',
      mergeParams(patient.id, other.patient.id),
    );
    expect(coder.status).toBe(403);
    const nothing = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$unmerge', {
      resourceType: 'Parameters',
      parameter: [{ name: 'source-patient', valueReference: { reference: `Patient/${patient.id}` } }],
    });
    expect(nothing.status).toBe(404);
    // Nothing was half-written: the patient is still active and unlinked.
    const still = await read<Patient>(`Patient/${patient.id}`);
    expect(still.active).toBeUndefined();
    expect(still.link).toBeUndefined();
  });
});
