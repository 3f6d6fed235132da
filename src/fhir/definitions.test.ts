import { describe, expect, it } from 'vitest';
import type { Condition, Observation, Resource } from '@medplum/fhirtypes';
import { patientOf, referencedId } from './definitions.ts';
import { exampleResources, syntheaPatient } from '../testing/search-fixtures.ts';
import { hasSharedTestdata } from '../testing/shared-testdata.ts';

describe('referencedId', () => {
  it('answers the id of a local reference of the asked type only', () => {
    expect(referencedId({ reference: 'Patient/p-1.a' }, 'Patient')).toBe('p-1.a');
    expect(referencedId({ reference: 'Patient/p-1' }, 'Encounter')).toBeUndefined();
    // A longer type name that starts with the asked one is another type.
    expect(referencedId({ reference: 'PatientX/p-1' }, 'Patient')).toBeUndefined();
    expect(referencedId({ reference: 'https://other.example/fhir/Patient/p-1' }, 'Patient')).toBeUndefined();
    expect(referencedId({ reference: 'Patient/p-1/_history/2' }, 'Patient')).toBeUndefined();
    expect(referencedId({ reference: '#contained' }, 'Patient')).toBeUndefined();
    expect(referencedId({ display: 'no reference' }, 'Patient')).toBeUndefined();
    expect(referencedId(undefined, 'Patient')).toBeUndefined();
    expect(referencedId({ reference: `Patient/${'x'.repeat(65)}` }, 'Patient')).toBeUndefined();
  });
});

describe('patientOf', () => {
  it('finds the patient a record belongs to through its compartment paths, in their order', () => {
    expect(patientOf({ resourceType: 'Patient', id: 'p1' })).toBe('p1');
    const observation: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      subject: { reference: 'Group/g1' },
      performer: [{ reference: 'Practitioner/d1' }, { reference: 'Patient/p2' }],
    };
    // Not the Group in subject: the first reference to a Patient, here a performer.
    expect(patientOf(observation)).toBe('p2');
    // `subject.where(resolve() is Patient)`: a Group subject belongs to no patient.
    const condition: Condition = { resourceType: 'Condition', subject: { reference: 'Group/g1' } };
    expect(patientOf(condition)).toBeNull();
    expect(patientOf({ ...condition, subject: { reference: 'Patient/p3' } })).toBe('p3');
    expect(patientOf({ resourceType: 'Organization', name: 'no compartment' })).toBeNull();
  });

  it.skipIf(!hasSharedTestdata)(
    'walks the compartment paths to exactly the patient FHIRPath finds, on every example and Synthea resource',
    () => {
      const resources: Resource[] = [...exampleResources()];
      for (let i = 0; i < 30; i++) resources.push(...syntheaPatient(i));
      let owned = 0;
      for (const r of resources) {
        const walked = patientOf(r);
        expect(walked, `${r.resourceType}/${r.id ?? ''}`).toBe(patientOf(r, { fhirPathOnly: true }));
        if (walked && r.resourceType !== 'Patient') owned++;
      }
      expect(resources.length).toBeGreaterThan(5000);
      expect(owned).toBeGreaterThan(4000);
    },
  );
});
