import { describe, expect, it } from 'vitest';
import {
  compareDates,
  compareRecords,
  damerauLevenshtein,
  jaroWinkler,
  packPattern,
  unpackPattern,
  withinOneEdit,
} from './compare.ts';
import { parseDate, standardiseRecord } from './standardise.ts';
import { FIELDS, LEVEL_INDEX, LEVELS } from './types.ts';
import type { PersonRecord } from './types.ts';

describe('string measures', () => {
  it('computes Jaro-Winkler as published (Winkler 1990 examples)', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.8133, 4);
    expect(jaroWinkler('abc', 'abc')).toBe(1);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('', '')).toBe(0);
  });

  it('computes Damerau-Levenshtein with transpositions and an early stop', () => {
    expect(damerauLevenshtein('kitten', 'sitting')).toBe(3);
    expect(damerauLevenshtein('ca', 'ac')).toBe(1);
    expect(damerauLevenshtein('19810923', '19819023')).toBe(1);
    expect(damerauLevenshtein('abcdef', 'uvwxyz', 2)).toBe(3);
    expect(damerauLevenshtein('', 'abc')).toBe(3);
  });
});

describe('withinOneEdit', () => {
  it('agrees with Damerau-Levenshtein <= 1', () => {
    const words = [
      'mason',
      'masno',
      'mason',
      'mayson',
      'mson',
      'nason',
      'amsno',
      'masonx',
      'xmason',
      'moson',
      '',
      'm',
    ];
    for (const a of words)
      for (const b of words) expect(withinOneEdit(a, b)).toBe(damerauLevenshtein(a, b) <= 1);
  });
});

describe('date closeness', () => {
  const level = (a: string, b: string): string => LEVELS[compareDates(parseDate(a), parseDate(b))] ?? '';
  it('grades dates', () => {
    expect(level('19810923', '19810923')).toBe('exact');
    expect(level('19810304', '19810403')).toBe('close'); // day and month transposed
    expect(level('19810923', '19810928')).toBe('close'); // one digit wrong
    expect(level('19810923', '19810932')).toBe('close'); // neighbouring digits swapped
    expect(level('19810923', '19810911')).toBe('weak'); // same year
    expect(level('19810923', '19810105')).toBe('weak'); // same year
    expect(level('19810923', '19910923')).toBe('close'); // one year digit wrong
    expect(level('19810923', '19750101')).toBe('different');
    expect(level('', '19750101')).toBe('missing');
  });
});

describe('record comparison', () => {
  const base: PersonRecord = {
    id: 'a',
    givenName: 'Robert',
    familyName: 'Mason',
    birthDate: '19700102',
    streetNumber: '12',
    addressLine1: 'Smith Street',
    addressLine2: 'Kooltuo',
    locality: 'Canterbury',
    postcode: '2776',
    state: 'vic',
    identifier: '1234567',
  };
  const levelsOf = (a: PersonRecord, b: PersonRecord): Record<string, string> => {
    const out = compareRecords(standardiseRecord(a), standardiseRecord(b), new Uint8Array(FIELDS.length));
    return Object.fromEntries(FIELDS.map((f, i) => [f, LEVELS[out[i] ?? 4] ?? '']));
  };

  it('grades every field', () => {
    const levels = levelsOf(base, {
      ...base,
      id: 'b',
      givenName: 'Bob',
      familyName: 'Masn',
      streetNumber: '',
      addressLine1: 'Smith St',
      postcode: '2767',
      state: 'nsw',
    });
    expect(levels).toMatchObject({
      given_name: 'exact', // nickname
      family_name: 'close',
      birth_date: 'exact',
      street_number: 'missing',
      address_1: 'exact', // abbreviation expanded
      postcode: 'close',
      state: 'different',
      identifier: 'exact',
      phone: 'missing',
    });
  });

  it('recognises swapped names and swapped address lines, at most as close', () => {
    const levels = levelsOf(base, {
      ...base,
      id: 'b',
      givenName: 'Mason',
      familyName: 'Robert',
      addressLine1: 'Kooltuo',
      addressLine2: 'Smith Street',
    });
    expect(levels).toMatchObject({
      given_name: 'close',
      family_name: 'close',
      address_1: 'close',
      address_2: 'close',
    });
  });

  it('packs and unpacks comparison patterns', () => {
    const levels = Uint8Array.from(FIELDS.map((_, i) => i % 5));
    const pattern = packPattern(levels);
    expect(pattern).toBeLessThan(2 ** 31);
    expect(Array.from(unpackPattern(pattern))).toEqual(Array.from(levels));
    expect(LEVEL_INDEX.missing).toBe(4);
  });
});
