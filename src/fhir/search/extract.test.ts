import { describe, expect, it } from 'vitest';
import type { Patient, Resource } from '@medplum/fhirtypes';
import { toAuditEvent } from '../audit-event.ts';
import { paramFor } from './definitions.ts';
import { extractSearchRows, type SearchRows } from './extract.ts';
import {
  bloodPressure,
  exampleResource,
  exampleResources,
  syntheaPatient,
} from '../../testing/search-fixtures.ts';
import { hasSharedTestdata } from '../../testing/shared-testdata.ts';

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });

/** Resources with every kind of composite part; Synthea's Observations have no components. */
const compositeCases: Resource[] = [
  bloodPressure('bp', 150, 95),
  {
    resourceType: 'Observation',
    id: 'd',
    status: 'final',
    code: loinc('11368-8'),
    valueDateTime: '2019-06-15',
  },
  {
    resourceType: 'Observation',
    id: 'p',
    status: 'final',
    code: loinc('11368-8'),
    valuePeriod: { start: '2019' },
  },
  { resourceType: 'Observation', id: 's', status: 'final', code: loinc('48767-8'), valueString: 'Dizzy' },
  {
    resourceType: 'ValueSet',
    id: 'vs',
    status: 'active',
    useContext: [
      { code: { code: 'age' }, valueRange: { low: { value: 18 }, high: { value: 65 } } },
      {
        code: { code: 'focus' },
        valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '1' }] },
      },
    ],
  },
  {
    resourceType: 'Group',
    id: 'g',
    type: 'person',
    actual: true,
    characteristic: [
      { code: { text: 'sex' }, valueBoolean: true, exclude: false },
      { code: loinc('x'), valueCodeableConcept: loinc('y'), exclude: false },
    ],
  },
];

describe('extractSearchRows', () => {
  it.skipIf(!hasSharedTestdata)('indexes the spec example Patient', () => {
    const rows = extractSearchRows(exampleResource('Patient-example.json'));
    const strings = (param: string) => rows.string.filter((r) => r.param === param).map((r) => r.norm);
    expect(strings('family')).toEqual(expect.arrayContaining(['chalmers', 'windsor']));
    expect(strings('given')).toEqual(expect.arrayContaining(['peter', 'james', 'jim']));
    expect(strings('name')).toEqual(expect.arrayContaining(['chalmers', 'peter', 'jim']));
    // phonetic has the same expression as name: searched through name's rows, none of its own.
    expect(strings('phonetic')).toEqual([]);
    expect(strings('address-postalcode')).toEqual(['3999']);
    expect(rows.token).toContainEqual({
      param: 'gender',
      system: 'http://hl7.org/fhir/administrative-gender',
      code: 'male',
      text: null,
    });
    expect(rows.token).toContainEqual({
      param: 'identifier',
      system: 'urn:oid:1.2.36.146.595.217.0.1',
      code: '12345',
      text: null,
    });
    expect(rows.token).toContainEqual({
      param: 'phone',
      system: 'phone',
      code: '(03) 5555 6473',
      text: null,
    });
    expect(rows.date).toContainEqual({
      param: 'birthdate',
      low: '1974-12-25T00:00:00.000Z',
      high: '1974-12-25T23:59:59.999Z',
    });
    expect(rows.reference).toContainEqual({
      param: 'organization',
      targetType: 'Organization',
      targetId: '1',
    });
  });

  it('normalises accents and case, keeps the exact text', () => {
    const patient: Patient = {
      resourceType: 'Patient',
      id: 'x',
      name: [{ family: 'Ñúñez-Gómez', given: ['Zoë'] }],
      birthDate: '1970-03',
      telecom: [{ system: 'email', value: 'Zoe@Example.org' }],
    };
    const rows = extractSearchRows(patient);
    expect(rows.string).toContainEqual({ param: 'family', norm: 'nunez-gomez', exact: 'Ñúñez-Gómez' });
    expect(rows.string).toContainEqual({ param: 'given', norm: 'zoe', exact: 'Zoë' });
    expect(rows.date).toContainEqual({
      param: 'birthdate',
      low: '1970-03-01T00:00:00.000Z',
      high: '1970-03-31T23:59:59.999Z',
    });
    expect(rows.token.filter((t) => t.param === 'email').map((t) => t.code)).toEqual(['Zoe@Example.org']);
  });

  it.skipIf(!hasSharedTestdata)('indexes Encounter, Condition, Procedure, Claim, AuditEvent examples', () => {
    const enc = extractSearchRows(exampleResource('Encounter-f201.json'));
    // patient is subject narrowed to Patient: searched through subject's rows.
    expect(enc.reference.filter((r) => r.param === 'patient')).toEqual([]);
    expect(enc.reference).toContainEqual({ param: 'subject', targetType: 'Patient', targetId: 'f201' });
    expect(enc.token.some((t) => t.param === 'status' && t.code === 'finished')).toBe(true);
    expect(enc.token.some((t) => t.param === 'class' && t.code === 'AMB')).toBe(true);
    expect(enc.token.some((t) => t.param === 'type' && t.code === '11429006')).toBe(true);

    const cond = extractSearchRows(exampleResource('Condition-f201.json'));
    expect(cond.token.some((t) => t.param === 'code' && t.code === '386661006' && t.text === 'fever')).toBe(
      true,
    );
    expect(cond.date.some((d) => d.param === 'onset-date' && d.low.startsWith('2013-04-02'))).toBe(true);

    const proc = extractSearchRows(exampleResource('Procedure-example.json'));
    expect(proc.date).toContainEqual({
      param: 'date',
      low: '2013-04-05T00:00:00.000Z',
      high: '2013-04-05T23:59:59.999Z',
    });

    const claim = extractSearchRows(exampleResource('Claim-100150.json'));
    expect(claim.reference).toContainEqual({ param: 'patient', targetType: 'Patient', targetId: '1' });
    expect(claim.reference.filter((r) => r.param === 'patient')).toHaveLength(1);

    const audit = extractSearchRows(exampleResource('AuditEvent-example.json'));
    expect(audit.date.some((d) => d.param === 'date')).toBe(true);
    expect(audit.token.some((t) => t.param === 'type' && t.code === '110100')).toBe(true);
  });

  it.skipIf(!hasSharedTestdata)(
    'indexes every example and a Synthea patient without throwing, quickly',
    () => {
      const resources = [...exampleResources(), ...syntheaPatient(0)];
      const started = performance.now();
      let rows = 0;
      for (const r of resources) {
        const x = extractSearchRows(r);
        rows += x.token.length + x.string.length + x.date.length + x.reference.length + x.number.length;
      }
      const perResourceMs = (performance.now() - started) / resources.length;
      expect(rows).toBeGreaterThan(resources.length * 3);
      expect(perResourceMs).toBeLessThan(2);
      const obs = syntheaPatient(0).find((r) => r.resourceType === 'Observation' && 'valueQuantity' in r);
      const obsRows = extractSearchRows(obs!);
      expect(obsRows.number.some((n) => n.param === 'value-quantity')).toBe(true);
      expect(obsRows.number.some((n) => n.param === 'combo-value-quantity')).toBe(false);
      expect(obsRows.reference.some((r) => r.param === 'subject' && r.targetType === 'Patient')).toBe(true);
    },
  );

  it.skipIf(!hasSharedTestdata)(
    'walks plain member paths to exactly the rows FHIRPath gives, on every example and Synthea resource',
    () => {
      const resources: Resource[] = [...exampleResources()];
      for (let i = 0; i < 30; i++) resources.push(...syntheaPatient(i));
      resources.push(
        toAuditEvent(
          'audit-1',
          {
            action: 'read',
            outcome: 'success',
            username: 'jdoe',
            userId: 'u1',
            role: 'coder',
            purpose: 'HPAYMT',
            sourceAddress: '127.0.0.1',
            patientIds: ['p1'],
            entities: ['Patient/p1', 'Observation/o1'],
          },
          '2026-11-30T08:00:00.000Z',
        ),
        ...compositeCases,
      );
      const asSet = (rows: SearchRows) =>
        Object.entries(rows)
          .flatMap(([table, list]) => (list as object[]).map((r) => `${table} ${JSON.stringify(r)}`))
          .sort();
      let compared = 0;
      for (const r of resources) {
        expect(asSet(extractSearchRows(r)), `${r.resourceType}/${r.id ?? ''}`).toEqual(
          asSet(extractSearchRows(r, { fhirPathOnly: true })),
        );
        compared++;
      }
      expect(compared).toBeGreaterThan(5000);
      // The walk is what runs: common parameters compile, filtered ones stay with FHIRPath.
      expect(paramFor('Observation', 'value-quantity')?.memberPath).toBeDefined();
      expect(paramFor('Observation', 'subject')?.memberPath).toBeDefined();
      expect(paramFor('AuditEvent', 'agent')?.memberPath).toBeDefined();
      expect(paramFor('Patient', 'deceased')?.memberPath).toBeUndefined();
      expect(paramFor('Observation', 'component-code-value-quantity')?.composite?.walk).toBeDefined();
      expect(paramFor('ValueSet', 'context-type-quantity')?.composite?.walk).toBeDefined();
    },
  );

  it('stores a composite value under the code of the same element', () => {
    const [bp] = compositeCases;
    const rows = extractSearchRows(bp as Resource).number.filter((n) => n.param.includes('$'));
    expect(rows.map((r) => [r.param, r.value]).sort()).toEqual([
      ['component-code-value-quantity$http://loinc.org|8462-4', 95],
      ['component-code-value-quantity$http://loinc.org|8480-6', 150],
    ]);
  });

  it('indexes a primitive that carries an extension by its value (FHIRPath would wrap it)', () => {
    const patient: Patient = {
      resourceType: 'Patient',
      birthDate: '1970-03-04',
      _birthDate: {
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
            valueDateTime: '1970-03-04T05:06:00Z',
          },
        ],
      },
    } as Patient;
    expect(extractSearchRows(patient).date.filter((d) => d.param === 'birthdate')).toHaveLength(1);
  });
});
