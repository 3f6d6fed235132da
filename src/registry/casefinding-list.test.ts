import { describe, expect, it } from 'vitest';
import { behavioursFor, casefindingFlag, lateralityOf, siteKeyOf, topographyOf } from './casefinding-list.ts';

describe('the casefinding list', () => {
  it('reports malignant, in situ and the reportable D-codes exactly as the list has them', () => {
    for (const code of [
      'C00.0',
      'C50.911',
      'C4A.9',
      'C7A.010',
      'C96.9',
      'D00.00',
      'D05.11',
      'D09.9',
      'D32.0',
      'D33.2',
      'D35.2',
      'D35.4',
      'D42.0',
      'D43.4',
      'D44.3',
      'D44.5',
      'D45',
      'D46.9',
      'D47.1',
      'D47.Z1',
      'D47.02',
    ])
      expect([code, casefindingFlag(code)]).toEqual([code, 'reportable']);
  });

  it('flags cytology findings of carcinoma in situ and history codes for review', () => {
    for (const code of ['R85.614', 'R87.614', 'R87.624', 'Z85.3', 'Z85.038'])
      expect([code, casefindingFlag(code)]).toEqual([code, 'review']);
  });

  it('leaves benign and unlisted codes out', () => {
    for (const code of [
      'C97',
      'D10.0',
      'D35.0',
      'D35.5',
      'D44.0',
      'D44.6',
      'D47.2',
      'D47.01',
      'D3A.00',
      'R87.613',
      'E11.9',
      'I10',
      'Z80.3',
      'D64.9',
      'garbage',
      '',
    ])
      expect([code, casefindingFlag(code)]).toEqual([code, undefined]);
  });

  it('groups codes of one primary site so a second visit matches the case', () => {
    expect(siteKeyOf('C50.911')).toBe('C50');
    expect(siteKeyOf('D05.11')).toBe('C50');
    expect(siteKeyOf('C18.7')).toBe('C18');
    expect(siteKeyOf('C34.11')).not.toBe(siteKeyOf('C50.912'));
  });

  it('suggests the topography, laterality and behaviour a code spells', () => {
    expect(topographyOf('C50.911')).toBe('C509');
    expect(topographyOf('C18.7')).toBe('C187');
    expect(topographyOf('C61')).toBe('C619');
    expect(topographyOf('C78.00')).toBeUndefined();
    expect(lateralityOf('C50.912')).toBe('2');
    expect(lateralityOf('C18.7')).toBeUndefined();
    expect(behavioursFor('D05.11')).toEqual(['2']);
    expect(behavioursFor('D43.0')).toEqual(['1']);
    expect(behavioursFor('C50.911')).toEqual(['3']);
  });
});
