import { describe, expect, it } from 'vitest';
import { parseBirthDate, parseFinderQuery } from './finder-query.ts';

describe('parseFinderQuery', () => {
  it('reads "Family, Given" with roles and nickname variants', () => {
    const q = parseFinderQuery('Müller, Bob');
    expect(q.names).toEqual([
      { word: 'muller', role: 'family', variants: ['muller'] },
      { word: 'bob', role: 'given', variants: ['bob', 'robert'] },
    ]);
  });

  it('separates dates and identifiers from name words', () => {
    const q = parseFinderQuery("o'brien 07/08/1991 MRN-12 x");
    expect(q.names.map((n) => n.word)).toEqual(['obrien']);
    expect(q.identifiers).toEqual(['MRN-12']);
    expect(q.birthDate).toBe('1991-07-08');
  });

  it('prefers the birthdate parameter and rejects impossible dates', () => {
    expect(parseFinderQuery('smith 1990-01-01', '1980-12-31').birthDate).toBe('1980-12-31');
    expect(parseBirthDate('2023-02-30')).toBeUndefined();
    expect(parseBirthDate('19910708')).toBe('1991-07-08');
  });
});
