import { describe, expect, it } from 'vitest';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { evaluatePairs, readFebrlFile } from './febrl.ts';
import { linkRecords } from './link.ts';
import { scorePair } from './model.ts';
import { standardiseRecord } from './standardise.ts';

const dataset1 = sharedTestdata('febrl', 'febrl-dataset1.csv');

describe.skipIf(!hasSharedTestdata)('linkage on FEBRL dataset 1', () => {
  it('de-duplicates with F1 >= 0.99 against the rec_id truth', async () => {
    const records = await readFebrlFile(dataset1);
    expect(records).toHaveLength(1000);
    const result = linkRecords(records, undefined, { threshold: 0.9 });
    // The model never sees rec_id; the truth is only used here to measure.
    const quality = evaluatePairs(
      result.pairs.map((p) => [records[p.a]?.id ?? '', records[p.b]?.id ?? ''] as const),
      records.map((r) => r.id),
      undefined,
    );
    expect(quality.truePairs).toBe(500);
    expect(quality.f1).toBeGreaterThanOrEqual(0.99);
    // Blocking keeps the comparisons far below the 499,500 of the full cross product.
    expect(result.candidatePairs).toBeLessThan(5000);
    expect(result.model.converged).toBe(true);
    // Any batch pair can be explained field by field with the trained model, with the same score.
    const first = result.pairs[0];
    const a = records[first?.a ?? 0];
    const b = records[first?.b ?? 0];
    if (!first || !a || !b) throw new Error('no pair');
    const explained = scorePair(result.model, standardiseRecord(a), standardiseRecord(b));
    expect(explained.matchProbability).toBeCloseTo(first.matchProbability, 9);
    expect(explained.fields.map((f) => f.field)).toContain('birth_date');
    expect(
      explained.fields.reduce(
        (sum, f) => sum + f.weight,
        Math.log2(result.model.lambda / (1 - result.model.lambda)),
      ),
    ).toBeCloseTo(explained.weight, 9);
  });

  it('links originals to duplicates with F1 >= 0.99', async () => {
    const records = await readFebrlFile(dataset1);
    const originals = records.filter((r) => r.id.endsWith('-org'));
    const duplicates = records.filter((r) => !r.id.endsWith('-org'));
    const result = linkRecords(originals, duplicates, { threshold: 0.9 });
    expect(result.mode).toBe('link');
    const quality = evaluatePairs(
      result.pairs.map((p) => [originals[p.a]?.id ?? '', duplicates[p.b]?.id ?? ''] as const),
      originals.map((r) => r.id),
      duplicates.map((r) => r.id),
    );
    expect(quality.truePairs).toBe(500);
    expect(quality.f1).toBeGreaterThanOrEqual(0.99);
    for (const p of result.pairs) {
      expect(originals[p.a]).toBeDefined();
      expect(duplicates[p.b]).toBeDefined();
    }
  });
});

describe('small inputs', () => {
  it('handles no records, one record and a single obvious duplicate', () => {
    expect(linkRecords([], undefined).pairs).toEqual([]);
    expect(linkRecords([{ id: 'a', givenName: 'Ann' }], undefined).pairs).toEqual([]);
    const ann = { id: 'a', givenName: 'Ann', familyName: 'Lee', birthDate: '19700101', identifier: '123456' };
    const result = linkRecords([ann, { ...ann, id: 'b' }], undefined, { threshold: 0 });
    expect(result.candidatePairs).toBe(1);
    expect(result.pairs).toHaveLength(1);
  });
});

describe('evaluatePairs', () => {
  it('counts all pairs within a group as true pairs', () => {
    const ids = ['rec-1-org', 'rec-1-dup-0', 'rec-1-dup-1', 'rec-2-org'];
    const q = evaluatePairs(
      [
        ['rec-1-org', 'rec-1-dup-0'],
        ['rec-1-dup-0', 'rec-1-org'],
        ['rec-1-org', 'rec-2-org'],
      ],
      ids,
      undefined,
    );
    expect(q).toMatchObject({ truePairs: 3, foundPairs: 2, truePositives: 1, precision: 0.5 });
    expect(q.recall).toBeCloseTo(1 / 3, 6);
  });
});
