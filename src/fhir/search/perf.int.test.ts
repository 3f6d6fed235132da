/**
 * Performance check on a PostgreSQL server (runs only when CUSTODIAN_TEST_DATABASE_URL is set):
 * 100,000 synthetic patients, then Patient?family=..&birthdate=.. latency (target p95 <= 20 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patient } from '@medplum/fhirtypes';
import { testDatabaseUrl } from '../../app/config.ts';
import { openTestDb } from '../../testing/test-db.ts';
import type { Db } from '../../db/db.ts';
import { parseSearch, searchBundle } from './index.ts';
import { storeResources } from '../../testing/search-fixtures.ts';

const PATIENTS = 100_000;
const FAMILIES = [
  'Smith',
  'Jones',
  'García',
  'Müller',
  'Nguyen',
  'Okafor',
  'Rossi',
  'Kowalski',
  'Hansen',
  'Silva',
];
const SYLLABLES = [
  'an',
  'ber',
  'co',
  'dal',
  'en',
  'fi',
  'gor',
  'hu',
  'is',
  'jo',
  'ka',
  'lo',
  'mi',
  'no',
  'or',
  'pe',
];

/** Deterministic pseudo-random numbers, so every run builds the same data. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

function syntheticPatient(i: number, rand: () => number): Patient {
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)] as T;
  const family = `${pick(FAMILIES)}${pick(SYLLABLES)}${pick(SYLLABLES)}`;
  const day = new Date(Date.UTC(1930, 0, 1) + Math.floor(rand() * 90 * 365) * 86_400_000);
  return {
    resourceType: 'Patient',
    id: `perf-${i}`,
    identifier: [{ system: 'urn:mrn', value: `MRN${i}` }],
    name: [{ family, given: [pick(['Ann', 'Bob', 'Cleo', 'Dev', 'Eve']), pick(['J', 'K', 'L'])] }],
    gender: rand() < 0.5 ? 'female' : 'male',
    birthDate: day.toISOString().slice(0, 10),
    address: [
      { city: pick(['Springfield', 'Riverton']), postalCode: String(10000 + Math.floor(rand() * 89999)) },
    ],
  };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

describe.skipIf(!testDatabaseUrl())('search performance on PostgreSQL', () => {
  let db: Db;
  const sample: Patient[] = [];

  beforeAll(async () => {
    db = await openTestDb();
    const rand = prng(42);
    const started = performance.now();
    for (let i = 0; i < PATIENTS; i += 5000) {
      const batch = Array.from({ length: 5000 }, (_, k) => syntheticPatient(i + k, rand));
      await db.transaction((tx) => storeResources(tx, batch));
      sample.push(batch[0] as Patient, batch[2500] as Patient);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `stored ${PATIENTS} patients with index rows in ${seconds.toFixed(1)} s (${Math.round(PATIENTS / seconds)}/s)`,
    );
    await db.query('ANALYZE');
  }, 600_000);
  afterAll(async () => {
    await db?.close();
  });

  it('answers family+birthdate with p95 <= 20 ms', async () => {
    const timings: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const p of sample) {
        const family = (p.name?.[0]?.family ?? '').slice(0, 8 + (round % 3));
        const query = new URLSearchParams({ family, birthdate: p.birthDate ?? '' });
        const started = performance.now();
        const bundle = await searchBundle(db, parseSearch('Patient', query, { lenient: false }), {
          baseUrl: 'http://x',
        });
        timings.push(performance.now() - started);
        expect(bundle.entry?.some((e) => e.resource?.id === p.id)).toBe(true);
      }
    }
    timings.sort((a, b) => a - b);
    const p50 = percentile(timings, 0.5);
    const p95 = percentile(timings, 0.95);
    console.log(
      `family+birthdate over ${timings.length} queries: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`,
    );
    // EXPLAIN the SQL the engine actually generated for one of those searches.
    let captured: { sql: string; params: readonly unknown[] } | undefined;
    const recorder = {
      query: <T>(sql: string, params: readonly unknown[] = []) => {
        captured = { sql, params };
        return db.query<T>(sql, params);
      },
    };
    const first = sample[0] as Patient;
    const query = new URLSearchParams({
      family: (first.name?.[0]?.family ?? '').slice(0, 8),
      birthdate: first.birthDate ?? '',
    });
    await searchBundle(recorder, parseSearch('Patient', query, { lenient: false }), { baseUrl: 'http://x' });
    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN ANALYZE ${captured?.sql ?? ''}`,
      captured?.params,
    );
    console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    expect(p95).toBeLessThanOrEqual(20);
  }, 120_000);

  it('pages through a broad search quickly with the cursor', async () => {
    let url: string | undefined = 'family=smith&_count=100&_sort=family';
    let pages = 0;
    const started = performance.now();
    while (url && pages < 20) {
      const bundle = await searchBundle(
        db,
        parseSearch('Patient', new URLSearchParams(url), { lenient: false }),
        {
          baseUrl: 'http://x',
        },
      );
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      url = next ? new URL(next).search.slice(1) : undefined;
      pages++;
    }
    const perPage = (performance.now() - started) / pages;
    console.log(`family=smith sorted by family: ${perPage.toFixed(1)} ms per page of 100`);
    expect(pages).toBe(20);
  }, 120_000);
});
