/**
 * Seeded pseudo-random numbers for the demo generator.
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) seeded through splitmix32: fast,
 * passes PractRand for far longer than a demo needs, and uses only 32-bit integer arithmetic, so
 * the same seed gives the same stream on every platform. Helpers avoid transcendental functions
 * (Math.log, Math.cos) whose last bits are not guaranteed identical across engines.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seeds: number[]) {
    let h = 0x9e3779b9;
    for (const s of seeds) h = splitmix32(h ^ (s >>> 0)) ^ Math.imul(h, 0x85ebca6b);
    this.a = splitmix32(h);
    this.b = splitmix32(this.a ^ 0x243f6a88);
    this.c = splitmix32(this.b ^ 0x85a308d3);
    this.d = 1;
    // Warm-up: the first outputs of sfc32 still correlate with the seed words.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An approximately normal value (Irwin-Hall sum of four uniforms), clamped to [min, max]. */
  normal(mean: number, sd: number, min = -Infinity, max = Infinity): number {
    const z = (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508075688772;
    return Math.min(max, Math.max(min, mean + z * sd));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Picks from a cumulative-weight table built once with `weighted()`. */
  pickWeighted<T>(table: WeightedTable<T>): T {
    const x = this.next() * table.total;
    let lo = 0;
    let hi = table.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((table.cumulative[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return table.items[lo] as T;
  }

  /** A version 4 UUID drawn from this stream (deterministic, unlike crypto.randomUUID). */
  uuid(): string {
    const w0 = this.u32();
    const w1 = (this.u32() & 0xffff0fff) | 0x00004000;
    const w2 = (this.u32() & 0x3fffffff) | 0x80000000;
    const w3 = this.u32();
    const h0 = hex8(w0);
    const h1 = hex8(w1 >>> 0);
    const h2 = hex8(w2 >>> 0);
    return `${h0}-${h1.slice(0, 4)}-${h1.slice(4)}-${h2.slice(0, 4)}-${h2.slice(4)}${hex8(w3)}`;
  }
}

export interface WeightedTable<T> {
  items: readonly T[];
  cumulative: readonly number[];
  total: number;
}

/** Builds a table for `Rng.pickWeighted` from [item, weight] pairs. */
export function weighted<T>(pairs: ReadonlyArray<readonly [T, number]>): WeightedTable<T> {
  const items: T[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const [item, weight] of pairs) {
    if (weight <= 0) continue;
    total += weight;
    items.push(item);
    cumulative.push(total);
  }
  if (items.length === 0) throw new Error('weighted table needs at least one positive weight');
  return { items, cumulative, total };
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(n: number): string {
  return (
    (HEX[n >>> 24] ?? '') +
    (HEX[(n >>> 16) & 0xff] ?? '') +
    (HEX[(n >>> 8) & 0xff] ?? '') +
    (HEX[n & 0xff] ?? '')
  );
}
