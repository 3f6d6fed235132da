import type { Bundle, Observation, OperationOutcome, ValueSet } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { bloodPressure } from '../../testing/search-fixtures.ts';

/**
 * Composite parameters through the REST API: each pair matches on one element (the Observation,
 * one component, one useContext), never a code from one element with a value from another.
 */
let server: TestServer;
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

const loinc = (code: string) => ({ coding: [{ system: LOINC, code }] });

const observations: Observation[] = [
  bloodPressure('bp-high', 150, 95),
  // Systolic normal, diastolic 150: a search that did not keep the parts together would take
  // this for a systolic above 140.
  bloodPressure('bp-crossed', 120, 150),
  {
    resourceType: 'Observation',
    id: 'weight-80',
    status: 'final',
    code: loinc('29463-7'),
    valueQuantity: { value: 80, unit: 'kg', system: UCUM, code: 'kg' },
  },
  {
    resourceType: 'Observation',
    id: 'weight-60',
    status: 'final',
    code: { coding: [{ system: 'http://example.org/local', code: '29463-7' }] },
    valueQuantity: { value: 60, unit: 'kg', system: UCUM, code: 'kg' },
  },
  {
    resourceType: 'Observation',
    id: 'smoking',
    status: 'final',
    code: loinc('72166-2'),
    valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '449868002' }] },
  },
  {
    resourceType: 'Observation',
    id: 'onset',
    status: 'final',
    code: loinc('11368-8'),
    valueDateTime: '2019-06-15',
  },
  {
    resourceType: 'Observation',
    id: 'note',
    status: 'final',
    code: loinc('48767-8'),
    valueString: 'Patient reports dizziness on standing',
  },
];

beforeAll(async () => {
  server = await startTestServer();
  for (const o of observations) {
    const res = await server.call('admin', 'PUT', `/fhir/R4/Observation/${o.id}`, o);
    expect(res.status).toBe(201);
  }
});
afterAll(async () => server?.stop());

async function ids(query: string): Promise<string[]> {
  const res = await server.call('admin', 'GET', `/fhir/R4/Observation?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  const bundle = (await res.json()) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource?.id as string).sort();
}

const q = (param: string, value: string) => `${param}=${encodeURIComponent(value)}`;

describe('composite search parameters', () => {
  it('pair a component code with the value of the same component', async () => {
    expect(await ids(q('component-code-value-quantity', `${LOINC}|8480-6$gt140`))).toEqual(['bp-high']);
    expect(await ids(q('component-code-value-quantity', `${LOINC}|8462-4$gt140`))).toEqual(['bp-crossed']);
    expect(await ids(q('component-code-value-quantity', `${LOINC}|8480-6$lt100`))).toEqual([]);
    // combo covers the Observation's own code and value as well as its components'.
    expect(await ids(q('combo-code-value-quantity', `${LOINC}|8480-6$ge120`))).toEqual([
      'bp-crossed',
      'bp-high',
    ]);
    expect(await ids(q('combo-code-value-quantity', `${LOINC}|29463-7$gt70`))).toEqual(['weight-80']);
  });

  it('match the code with or without its system, and a system with any code', async () => {
    expect(await ids(q('code-value-quantity', '29463-7$gt50'))).toEqual(['weight-60', 'weight-80']);
    expect(await ids(q('code-value-quantity', `${LOINC}|29463-7$gt50`))).toEqual(['weight-80']);
    expect(await ids(q('code-value-quantity', `${LOINC}|$gt50`))).toEqual(['weight-80']);
    expect(await ids(q('code-value-quantity', `${LOINC}|29463-7$80|${UCUM}|kg`))).toEqual(['weight-80']);
    expect(await ids(q('code-value-quantity', `${LOINC}|29463-7$80|${UCUM}|g`))).toEqual([]);
  });

  it('search concept, date and string values, and OR comma-separated pairs', async () => {
    expect(await ids(q('code-value-concept', `${LOINC}|72166-2$http://snomed.info/sct|449868002`))).toEqual([
      'smoking',
    ]);
    expect(await ids(q('code-value-concept', `${LOINC}|72166-2$http://snomed.info/sct|8517006`))).toEqual([]);
    expect(await ids(q('code-value-date', `${LOINC}|11368-8$2019-06`))).toEqual(['onset']);
    expect(await ids(q('code-value-date', `${LOINC}|11368-8$gt2020`))).toEqual([]);
    expect(await ids(q('code-value-string', `${LOINC}|48767-8$PATIENT rep`))).toEqual(['note']);
    expect(
      await ids(`${q('code-value-quantity', `29463-7$lt65`)},${encodeURIComponent(`${LOINC}|8480-6$gt0`)}`),
    ).toEqual(['weight-60']);
    expect(
      await ids(
        `${q('combo-code-value-quantity', `29463-7$lt65`)},${encodeURIComponent(`${LOINC}|8480-6$gt145`)}`,
      ),
    ).toEqual(['bp-high', 'weight-60']);
  });

  it('keep the pairing when a resource is updated', async () => {
    const lowered = bloodPressure('bp-high', 130, 85);
    expect((await server.call('admin', 'PUT', '/fhir/R4/Observation/bp-high', lowered)).status).toBe(200);
    expect(await ids(q('component-code-value-quantity', `${LOINC}|8480-6$gt140`))).toEqual([]);
    expect(await ids(q('component-code-value-quantity', `${LOINC}|8480-6$130`))).toEqual(['bp-high']);
  });

  it('answer malformed pairs and modifiers with a 400 OperationOutcome', async () => {
    for (const query of [
      q('code-value-quantity', `${LOINC}|29463-7`),
      q('code-value-quantity', `$gt5`),
      q('code-value-quantity', `${LOINC}|29463-7$heavy`),
      q('code-value-date', `${LOINC}|11368-8$not-a-date`),
      'code-value-quantity:missing=true',
      q('code-value-quantity:exact', `${LOINC}|29463-7$5`),
    ]) {
      const res = await server.call('admin', 'GET', `/fhir/R4/Observation?${query}`);
      expect(res.status, query).toBe(400);
      const outcome = (await res.json()) as OperationOutcome;
      expect(outcome.resourceType).toBe('OperationOutcome');
    }
  });

  it('pair useContext codes with their values on conformance resources', async () => {
    const vs: ValueSet = {
      resourceType: 'ValueSet',
      id: 'ctx',
      status: 'active',
      useContext: [
        {
          code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'age' },
          valueQuantity: { value: 18, system: UCUM, code: 'a' },
        },
        {
          code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'focus' },
          valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '363346000' }] },
        },
      ],
    };
    expect((await server.call('admin', 'PUT', '/fhir/R4/ValueSet/ctx', vs)).status).toBe(201);
    const found = async (query: string) => {
      const res = await server.call('admin', 'GET', `/fhir/R4/ValueSet?${query}`);
      return ((await res.json()) as Bundle).entry?.map((e) => e.resource?.id) ?? [];
    };
    expect(await found(q('context-type-quantity', 'age$ge18'))).toEqual(['ctx']);
    expect(await found(q('context-type-quantity', 'age$lt18'))).toEqual([]);
    expect(await found(q('context-type-value', 'focus$http://snomed.info/sct|363346000'))).toEqual(['ctx']);
    // The age context's value is a quantity, not this concept.
    expect(await found(q('context-type-value', 'age$http://snomed.info/sct|363346000'))).toEqual([]);
  });

  it('are listed in the CapabilityStatement', async () => {
    const res = await server.call(null, 'GET', '/fhir/R4/metadata');
    const cs = (await res.json()) as {
      rest: Array<{ resource: Array<{ type: string; searchParam?: Array<{ name: string; type: string }> }> }>;
    };
    const obs = cs.rest[0]?.resource.find((r) => r.type === 'Observation');
    expect(obs?.searchParam).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'code-value-quantity', type: 'composite' }),
        expect.objectContaining({ name: 'component-code-value-quantity', type: 'composite' }),
      ]),
    );
  });
});
