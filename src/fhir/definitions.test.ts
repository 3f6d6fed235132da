import { describe, expect, it } from 'vitest';
import { referencedId } from './definitions.ts';

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
