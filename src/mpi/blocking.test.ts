import { describe, expect, it } from 'vitest';
import { blockingKeys, blockNumbers, DEFAULT_BLOCKING_RULES, forEachCandidatePair } from './blocking.ts';
import type { BlockingRule } from './blocking.ts';
import { standardiseRecord } from './standardise.ts';
import type { StandardRecord } from './types.ts';

function people(n: number): StandardRecord[] {
  return Array.from({ length: n }, (_, i) =>
    standardiseRecord({
      id: `r${i}`,
      givenName: ['ann', 'bob', 'cara', 'dan'][i % 4],
      familyName: ['smith', 'jones'][i % 2],
      birthDate: `19${String(50 + (i % 7)).padStart(2, '0')}0101`,
      postcode: String(2000 + (i % 3)),
      identifier: String(1000000 + Math.floor(i / 2)),
    }),
  );
}

function collect(
  records: StandardRecord[],
  options: Parameters<typeof forEachCandidatePair>[2] = {},
): [number, number][] {
  const pairs: [number, number][] = [];
  forEachCandidatePair(records, (i, j) => pairs.push([i, j]), options);
  return pairs;
}

describe('blocking', () => {
  it('gives keys as plain strings, empty when a part is missing (storable as columns)', () => {
    const keys = blockingKeys(
      standardiseRecord({
        id: 'x',
        givenName: 'Mary',
        familyName: 'Mason',
        birthDate: '19810923',
        postcode: '2600',
      }),
    );
    expect(keys.birth_date_initials).toBe('19810923|mm');
    expect(keys.birth_date_postcode).toBe('19810923|2600');
    expect(keys.identifier).toBe('');
    expect(Object.keys(keys)).toEqual(DEFAULT_BLOCKING_RULES.map((r) => r.name));
  });

  it('produces each candidate pair once, ordered, and far fewer than the cross product', () => {
    const records = people(400);
    const pairs = collect(records);
    const unique = new Set(pairs.map(([i, j]) => `${i},${j}`));
    expect(unique.size).toBe(pairs.length);
    for (const [i, j] of pairs) expect(i).toBeLessThan(j);
    expect(pairs.length).toBeLessThan((400 * 399) / 2);
    // Records sharing an identifier are always candidates.
    expect(unique.has('0,1')).toBe(true);
  });

  it('only pairs across sources when linking', () => {
    const records = people(60);
    const source = Uint8Array.from(records, (_, i) => (i < 30 ? 0 : 1));
    for (const [i, j] of collect(records, { source })) {
      expect(source[i]).toBe(0);
      expect(source[j]).toBe(1);
    }
  });

  it('bounds oversized blocks with a sorted-neighbourhood window', () => {
    const records = people(300);
    const onlyFamily: BlockingRule[] = [{ name: 'family', key: (r) => r.family }];
    // Two blocks of 150: full comparison would give 2 x 11,175 pairs.
    expect(collect(records, { rules: onlyFamily, maxBlockSize: 1000 })).toHaveLength(2 * 11175);
    const windowed = collect(records, { rules: onlyFamily, maxBlockSize: 100, windowSize: 5 });
    expect(windowed.length).toBeLessThanOrEqual(2 * 150 * 5);
    expect(windowed.length).toBeGreaterThan(2 * 140 * 5);
    // A later rule does not repeat pairs the window already produced.
    const twice = collect(records, {
      rules: [...onlyFamily, { name: 'family again', key: (r) => r.family }],
      maxBlockSize: 100,
      windowSize: 5,
    });
    expect(twice).toHaveLength(windowed.length);
  });

  it('numbers blocks so equal keys share a number', () => {
    const records = people(8);
    const numbers = blockNumbers(records, { name: 'given', key: (r) => r.given });
    expect(numbers[0]).toBe(numbers[4]);
    expect(numbers[0]).not.toBe(numbers[1]);
  });
});
