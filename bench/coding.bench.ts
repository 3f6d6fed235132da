/**
 * Code search benchmark: loads the shared code sets into a temporary in-memory PGlite, then times
 * searchCodes (in-memory index), the same search in SQL only (pg_trgm), and a plain in-memory scan
 * over the same codes, over a mix of code prefixes, word queries and typos.
 * Run: npx tsx bench/coding.bench.ts   (writes bench/results/coding.json)
 *
 * With BENCH_WORKLIST_URL naming a seeded store (e.g. bench/reports.bench.ts's 100,000 patients on
 * PostgreSQL), it also times the coder's worklist there: the first page with its total, sorted and
 * filtered, a later page, the menus' facets and the home tile's count (issue #23).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/app/config.ts';
import { openDb } from '../src/db/index.ts';
import { getCodeCache } from '../src/coding/cache.ts';
import { codeSetsLoaded, loadCodeSets } from '../src/coding/loader.ts';
import { scanCache, searchCache, searchCodes } from '../src/coding/search.ts';
import { searchCodesSql } from '../src/coding/search-sql.ts';
import { codingWorklist, worklistCount, type WorklistOptions } from '../src/coding/worklist.ts';
import { FhirStore } from '../src/fhir/store.ts';
import { benchUser } from './reports.bench.ts';

const QUERIES = [
  // code prefixes
  'E11.',
  'E119',
  'S72.0',
  'I10',
  'J44',
  'Z79.4',
  'A0021',
  'E0114',
  'G0008',
  'T36.0X1',
  // words, any order
  'type 2 diabetes without complications',
  'essential hypertension',
  'acute myocardial infarction',
  'fracture femur right initial',
  'copd exacerbation',
  'pneumonia unspecified organism',
  'urinary tract infection',
  'heart failure',
  'crutches underarm',
  'wheelchair',
  'influenza vaccine administration',
  'chronic kidney disease stage 3',
  'major depressive disorder single episode',
  'sepsis',
  'pressure ulcer sacral region',
  // typos
  'diabetis',
  'hypertensoin',
  'pnuemonia',
  'fractrue of femur',
  'astma',
  // abbreviations and single common words (tens of thousands of titles say "fracture")
  'chf',
  'htn',
  'fx',
  'fracture',
] as const;

const ROUNDS = 20;

interface Timing {
  p50: number;
  p95: number;
  mean: number;
}

function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { p50: round(at(0.5)), p95: round(at(0.95)), mean: round(mean) };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

async function time(fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Worklist requests a coder makes: the first page (100 rows) in each order and filter, a later one. */
const WORKLIST_CASES: Array<[string, WorklistOptions]> = [
  ['first page with facets', { facets: true }],
  ['first page', {}],
  ['newest discharge first', { sort: '-discharge' }],
  ['DNFB 30 days or more', { dnfbMin: 30 }],
  ['inpatient', { class: 'inpatient' }],
  ['by class', { sort: 'class' }],
  ['offset 5000', { offset: 5000 }],
];

/** The worklist at a seeded store, as a coder (p50 of `runs`, in ms, with the total it shows). */
async function timeWorklist(databaseUrl: string, runs = 3): Promise<object> {
  const db = await openDb({ databaseUrl });
  try {
    const store = new FhirStore(db, benchUser('bench-coder', 'coder'));
    const out: Record<string, { p50Ms: number; total: number }> = {};
    for (const [name, options] of WORKLIST_CASES) {
      let total = 0;
      const samples: number[] = [];
      for (let i = 0; i < runs; i++)
        samples.push(await time(async () => (total = (await codingWorklist(store, options)).total)));
      out[name] = { p50Ms: summarise(samples).p50, total };
    }
    let count = 0;
    const countMs = await time(async () => (count = await worklistCount(store)));
    out['home tile count'] = { p50Ms: round(countMs), total: count };
    return out;
  } finally {
    await db.close();
  }
}

export async function runCodingBench(): Promise<object> {
  const worklistUrl = process.env.BENCH_WORKLIST_URL;
  const dir = loadConfig().codesetsDir;
  if (!dir) throw new Error('No code sets folder: set CUSTODIAN_CODESETS_DIR');
  const db = await openDb({});
  try {
    const loadMs = await time(() => loadCodeSets(db, dir));
    const sets = await codeSetsLoaded(db);
    const indexMs = await time(() => getCodeCache(db));
    const cache = await getCodeCache(db);
    const memory: number[] = [];
    const full: number[] = [];
    const sql: number[] = [];
    const scan: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const q of QUERIES) {
        memory.push(await time(() => searchCache(cache, { q, limit: 20 })));
        full.push(await time(() => searchCodes(db, { q, limit: 20 })));
        scan.push(await time(() => scanCache(cache, q, 20)));
        if (round < 3) sql.push(await time(() => searchCodesSql(db, { q, limit: 20 })));
      }
    }
    const top3 = (await searchCodes(db, { q: 'type 2 diabetes without complications', limit: 3 })).map(
      (h) => h.code,
    );
    const result = {
      when: new Date().toISOString(),
      codes: sets.reduce((n, s) => n + s.count, 0),
      codeSets: sets,
      loadSeconds: round(loadMs / 1000),
      indexBuildMs: round(indexMs),
      queries: QUERIES.length,
      rounds: ROUNDS,
      searchMs: summarise(full),
      searchIndexOnlyMs: summarise(memory),
      sqlOnlyMs: summarise(sql),
      plainScanMs: summarise(scan),
      ratioToPlainScanP95: round(summarise(full).p95 / summarise(scan).p95),
      targetP95Ms: 5,
      meetsTarget: summarise(full).p95 <= 5,
      top3ForType2Diabetes: top3,
      ...(worklistUrl ? { worklist: await timeWorklist(worklistUrl) } : {}),
    };
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    await writeFile(
      new URL('./results/coding.json', import.meta.url),
      JSON.stringify(result, null, 2) + '\n',
    );
    return result;
  } finally {
    await db.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = (await runCodingBench()) as Record<string, unknown> & {
    searchMs: Timing;
    sqlOnlyMs: Timing;
    plainScanMs: Timing;
  };
  console.log(
    `codes: ${String(r.codes)}, load ${String(r.loadSeconds)} s, index build ${String(r.indexBuildMs)} ms`,
  );
  console.log(`searchCodes  p50 ${r.searchMs.p50} ms  p95 ${r.searchMs.p95} ms (target 5 ms)`);
  console.log(`SQL only     p50 ${r.sqlOnlyMs.p50} ms  p95 ${r.sqlOnlyMs.p95} ms`);
  console.log(
    `plain scan   p50 ${r.plainScanMs.p50} ms  p95 ${r.plainScanMs.p95} ms  (ratio p95 ${String(r.ratioToPlainScanP95)})`,
  );
  if (r.worklist) console.log(`worklist: ${JSON.stringify(r.worklist)}`);
  console.log('written bench/results/coding.json');
}
