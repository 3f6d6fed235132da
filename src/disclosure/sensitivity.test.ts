import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { specialCategoriesOf, withholdingReason } from './sensitivity.ts';

const labelled = (...codes: string[]): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  meta: {
    security: codes.map((code) => ({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code })),
  },
});

describe('sensitive records', () => {
  it('knows the special categories by their labels', () => {
    expect(specialCategoriesOf(labelled('GDIS'))).toEqual(['genetic']);
    expect(specialCategoriesOf(labelled('ETH', 'HIV'))).toEqual(['part2', 'hiv']);
    expect(specialCategoriesOf(labelled('R'))).toEqual([]);
  });

  it.each([
    ['GDIS', 'attorney', [], true],
    ['GDIS', 'attorney', ['GDIS'], false],
    ['GDIS', 'patient', [], false],
    ['SUD', 'provider', [], true],
    ['SUD', 'provider', ['ETH'], false],
    ['HIV', 'court-order', [], true],
    ['PSYTHPN', 'patient', [], true],
    ['PSYTHPN', 'personal-representative', ['PSYTHPN'], false],
    ['R', 'attorney', [], false],
  ] as const)('%s to a %s naming %j: withheld %s', (code, requester, named, withheld) => {
    expect(withholdingReason(labelled(code), requester, named) !== undefined).toBe(withheld);
  });

  it('needs every category of a record named', () => {
    expect(withholdingReason(labelled('SUD', 'HIV'), 'attorney', ['SUD'])).toContain('HIV');
    expect(withholdingReason(labelled('SUD', 'HIV'), 'attorney', ['SUD', 'HIV'])).toBeUndefined();
  });
});
