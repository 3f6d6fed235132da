import { describe, expect, it } from 'vitest';
import { nicknameCount } from './nicknames.ts';
import { nysiis, soundex } from './phonetic.ts';
import {
  formalName,
  parseDate,
  standardiseAddress,
  standardiseIdentifier,
  standardiseName,
  standardisePhone,
  standardiseRecord,
} from './standardise.ts';

describe('names', () => {
  it('cleans case, accents, punctuation and titles', () => {
    expect(standardiseName("  Dr. José  O'Brien-Smith ")).toBe('jose obrien smith');
    expect(standardiseName('ZOË')).toBe('zoe');
    expect(standardiseName(undefined)).toBe('');
  });

  it('maps nicknames to formal names and leaves formal names alone', () => {
    expect(formalName('bob')).toBe('robert');
    expect(formalName('bill')).toBe('william');
    expect(formalName('peggy')).toBe('margaret');
    expect(formalName('liz ann')).toBe('elisabeth ann');
    expect(formalName('robert')).toBe('robert');
    expect(formalName('zebedee')).toBe('zebedee');
    expect(nicknameCount()).toBeGreaterThan(300);
  });
});

describe('phonetic keys', () => {
  it('computes NYSIIS keys from the published examples', () => {
    expect(nysiis('MACINTOSH')).toBe('MCANT');
    expect(nysiis('KNUTH')).toBe('NAT');
    expect(nysiis('PHILLIPSON')).toBe('FALAPS');
    expect(nysiis('SCHMIDT')).toBe('SNAD');
    expect(nysiis('knight')).toBe(nysiis('night'));
    expect(nysiis('')).toBe('');
  });

  it('computes Soundex like PostgreSQL fuzzystrmatch', () => {
    expect(soundex('Robert')).toBe('R163');
    expect(soundex('Rupert')).toBe('R163');
    expect(soundex('Ashcraft')).toBe('A261');
    expect(soundex('Tymczak')).toBe('T522');
    expect(soundex('Lee')).toBe('L000');
  });
});

describe('dates', () => {
  it('parses the usual forms', () => {
    expect(parseDate('19810923')).toMatchObject({ year: 1981, month: 9, day: 23, digits: '19810923' });
    expect(parseDate('1981-09-23').digits).toBe('19810923');
    expect(parseDate('23/09/1981').digits).toBe('19810923');
    expect(parseDate('09/23/1981', true).digits).toBe('19810923');
    expect(parseDate('').digits).toBe('');
    expect(parseDate('not a date').digits).toBe('');
  });

  it('detects a transposed day and month', () => {
    expect(parseDate('19812309')).toMatchObject({ year: 1981, month: 9, day: 23 });
    expect(parseDate('09/23/1981')).toMatchObject({ month: 9, day: 23 });
  });

  it('keeps the digits of an impossible date for comparison', () => {
    const d = parseDate('19810231');
    expect(d.day).toBeNull();
    expect(d.digits).toBe('19810231');
  });
});

describe('addresses, phones, identifiers', () => {
  it('expands street type abbreviations', () => {
    expect(standardiseAddress('12 Smith St.')).toBe('12 smith street');
    expect(standardiseAddress('4 Banksia Rd')).toBe('4 banksia road');
    expect(standardiseAddress('Flt 3, Ocean Pde')).toBe('flat 3 ocean parade');
  });

  it('keeps digits of phones and letters and digits of identifiers', () => {
    // A country prefix makes the number longer than ten digits: the last ten are kept.
    expect(standardisePhone('+61 (2) 9876-5432')).toBe('1298765432');
    expect(standardisePhone('(02) 9876 5432')).toBe('0298765432');
    expect(standardiseIdentifier('123-45-6789')).toBe('123456789');
    expect(standardiseIdentifier(' ab 12 ')).toBe('AB12');
  });

  it('standardises a whole record', () => {
    const r = standardiseRecord({
      id: 'x',
      givenName: 'Bill',
      familyName: 'Smyth',
      birthDate: '1970-01-02',
      addressLine1: '1 High St',
    });
    expect(r).toMatchObject({
      given: 'bill',
      givenFormal: 'william',
      family: 'smyth',
      address1: '1 high street',
      postcode: '',
    });
    expect(r.familyPhonetic).toBe(nysiis('smyth'));
  });
});
