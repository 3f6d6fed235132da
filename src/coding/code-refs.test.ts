import { describe, expect, it } from 'vitest';
import { parseCodeRefs, refCovers } from './code-refs.ts';
import { titleSex } from './demographics.ts';
import { fiscalYear } from './edits.ts';

describe('parseCodeRefs', () => {
  it('reads single codes, ".-" categories, lists and ranges from note text', () => {
    expect(parseCodeRefs('type 1 diabetes mellitus (E10.-)')).toEqual([{ kind: 'code', key: 'E10' }]);
    expect(parseCodeRefs('continuing pregnancy (O31.1-, O31.3-)')).toEqual([
      { kind: 'code', key: 'O311' },
      { kind: 'code', key: 'O313' },
    ]);
    expect(parseCodeRefs('diabetes mellitus (E08-E13)')).toEqual([
      { kind: 'range', first: 'E08', last: 'E13' },
    ]);
    expect(parseCodeRefs('benign neoplasms (adenoma, benign) (fibroma) (D29.1)')).toEqual([
      { kind: 'code', key: 'D291' },
    ]);
  });

  it('decides whether a code falls under a reference', () => {
    const [range] = parseCodeRefs('(E08-E13)');
    expect(refCovers(range!, 'E119')).toBe(true);
    expect(refCovers(range!, 'E14')).toBe(false);
    const [code] = parseCodeRefs('(O24.4-)');
    expect(refCovers(code!, 'O24410')).toBe(true);
    expect(refCovers(code!, 'O2431')).toBe(false);
  });
});

describe('titleSex', () => {
  it('reads the sex a title restricts to', () => {
    expect(titleSex('Diseases of male genital organs (N40-N53)')).toBe('male');
    expect(titleSex('Malignant neoplasm of nipple and areola, right female breast')).toBe('female');
    expect(titleSex('Encounter for male factor infertility in female patient')).toBe('female');
    expect(titleSex('Stress incontinence (female) (male)')).toBeUndefined();
    expect(titleSex('Male partner, perpetrator of maltreatment and neglect')).toBeUndefined();
    expect(titleSex('Malignant neoplasm of prepuce')).toBeUndefined();
  });
});

describe('fiscalYear', () => {
  it('runs FY N from October 1 of N-1 to September 30 of N', () => {
    expect(fiscalYear('2020-09-30')).toBe('2020');
    expect(fiscalYear('2020-10-01')).toBe('2021');
    expect(fiscalYear('2021-09-30')).toBe('2021');
  });
});
