/** Percentiles and timing helpers shared by the benchmarks. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export interface Timing {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

export async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return summarise(samples);
}

function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/**
 * Times several alternatives in interleaved rounds (a round of each, then again), so a slow
 * spell of the machine falls on all of them alike rather than on whichever ran then.
 */
export async function timeInterleaved<K extends string>(
  n: number,
  rounds: number,
  alternatives: Record<K, (i: number) => Promise<unknown>>,
  /** Runs untimed after each round of an alternative, e.g. to finish work it deferred. */
  afterRound?: (key: K) => Promise<void>,
): Promise<Record<K, Timing>> {
  const samples = new Map<K, number[]>();
  const keys = Object.keys(alternatives) as K[];
  const perRound = Math.ceil(n / rounds);
  for (let round = 0; round < rounds; round++) {
    for (const key of keys) {
      const list = samples.get(key) ?? [];
      samples.set(key, list);
      for (let j = 0; j < perRound; j++) {
        const i = round * perRound + j;
        const t = performance.now();
        await alternatives[key](i);
        list.push(performance.now() - t);
      }
      await afterRound?.(key);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarise(samples.get(k) ?? [])])) as Record<K, Timing>;
}
