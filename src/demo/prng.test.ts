import { describe, expect, it } from 'vitest';
import { Rng, weighted } from './prng.ts';

describe('Rng', () => {
  it('repeats for the same seed and differs for another', () => {
    const a = new Rng(42, 7);
    const b = new Rng(42, 7);
    const c = new Rng(42, 8);
    const xs = Array.from({ length: 20 }, () => a.u32());
    expect(Array.from({ length: 20 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.u32())).not.toEqual(xs);
  });

  it('draws uniformly enough and respects bounds', () => {
    const rng = new Rng(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const n = rng.int(0, 9);
      buckets[n] = (buckets[n] ?? 0) + 1;
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    const table = weighted([
      ['a', 9],
      ['b', 1],
    ] as const);
    let a = 0;
    for (let i = 0; i < 10_000; i++) if (rng.pickWeighted(table) === 'a') a += 1;
    expect(a).toBeGreaterThan(8800);
    expect(a).toBeLessThan(9200);
  });

  it('makes version 4 UUIDs', () => {
    const rng = new Rng(5);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = rng.uuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
  });
});
