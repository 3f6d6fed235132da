import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/app/config.ts';
import { runCodingBench } from './coding.bench.ts';
import { runExportBench } from './export.bench.ts';
import { runFinderBench } from './finder.bench.ts';
import { LOAD_SCENARIOS, loadCopyOf, runLoadBench, type LoadScenario } from './load.bench.ts';
import { runMatchBench } from './mpi-match.bench.ts';
import { runMpiBench } from './mpi.bench.ts';
import { startBenchPostgres } from './pg-server.ts';
import { runReportsBench } from './reports.bench.ts';
import { runStoreBench } from './store.bench.ts';

/**
 * `npm run bench`: every module's benchmark, results as JSON in bench/results/.
 * BENCH_ONLY=store,finder,coding,mpi,match,reports picks some; BENCH_PG_PATIENTS, BENCH_MATCH_PATIENTS and
 * BENCH_REPORT_PATIENTS set the server-side scales; BENCH_EXPORT_PATIENTS the Bulk Data export's (embedded).
 */
const only = new Set(
  (process.env.BENCH_ONLY ?? 'store,finder,coding,mpi,match,reports,export,load').split(','),
);
const outDir = join(repoRoot, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const log = (s: string) => console.log(s);
const save = (name: string, value: unknown) => {
  writeFileSync(
    join(outDir, `${name}.json`),
    JSON.stringify({ measuredAt: new Date().toISOString(), ...(value as object) }, null, 2),
  );
  console.log(`${name}:`, JSON.stringify(value, null, 2));
};

if (only.has('store')) {
  const embedded = await runStoreBench({ patients: 20_000, importSynthea: true, log });
  const pgServer = process.env.DATABASE_URL ? undefined : startBenchPostgres();
  const url = process.env.DATABASE_URL ?? pgServer?.url;
  let server: unknown = 'no PostgreSQL server available';
  try {
    if (url)
      server = await runStoreBench({
        databaseUrl: url,
        patients: Number(process.env.BENCH_PG_PATIENTS ?? 100_000),
        // The same Synthea bundles imported on the server too: both import rates in store.json.
        importSynthea: true,
        log,
      });
  } finally {
    pgServer?.stop();
  }
  save('store', { embedded, server });
}
if (only.has('finder')) save('finder', await runFinderBench({ patients: 50_000, log }));
if (only.has('coding')) save('coding', await runCodingBench());
if (only.has('mpi')) save('mpi', await runMpiBench());
if (only.has('match')) {
  // Patient/$match at 1,000,000 patients on a PostgreSQL server (BENCH_MATCH_PATIENTS to change).
  const pgServer = process.env.DATABASE_URL ? undefined : startBenchPostgres(55440);
  const url = process.env.DATABASE_URL ?? pgServer?.url;
  try {
    if (url)
      save(
        'mpi-match',
        await runMatchBench({
          databaseUrl: url,
          patients: Number(process.env.BENCH_MATCH_PATIENTS ?? 1_000_000),
          log,
        }),
      );
  } finally {
    pgServer?.stop();
  }
}
if (only.has('reports')) {
  // Each report at 100,000 patients on a PostgreSQL server (BENCH_REPORT_PATIENTS to change, e.g.
  // 20000,100000 for two scales, each in its own database; BENCH_REPORT_PG_DATA=<folder> keeps the
  // server's data there, so each store is seeded once).
  const pgServer = process.env.DATABASE_URL
    ? undefined
    : startBenchPostgres(55441, { keepDir: process.env.BENCH_REPORT_PG_DATA });
  const url = process.env.DATABASE_URL ?? pgServer?.url;
  try {
    if (url)
      save(
        'reports',
        await runReportsBench({
          databaseUrl: url,
          patients: (process.env.BENCH_REPORT_PATIENTS ?? '100000').split(',').map(Number),
          runs: Number(process.env.BENCH_REPORT_RUNS ?? 5),
          log,
        }),
      );
  } finally {
    pgServer?.stop();
  }
}
if (only.has('export')) {
  // Peak memory exporting 10,000 and 100,000 patients (a Patient and an Observation each), on a
  // PostgreSQL server when one can be started (the process's RSS is then the exporter's alone),
  // else on embedded PGlite; BENCH_EXPORT_PATIENTS to change. Run with --expose-gc.
  const pgServer = process.env.DATABASE_URL ? undefined : startBenchPostgres(55442);
  try {
    save(
      'export',
      await runExportBench({
        patients: Number(process.env.BENCH_EXPORT_PATIENTS ?? 100_000),
        databaseUrl: process.env.DATABASE_URL ?? pgServer?.url,
        log,
      }),
    );
  } finally {
    pgServer?.stop();
  }
}
if (only.has('load')) {
  // The running server under autocannon (read, search, write, coding and chart screens) on PGlite
  // and on a PostgreSQL server; BENCH_LOAD_PATIENTS (default 2,000; the figure is 100000),
  // BENCH_LOAD_SECONDS per scenario (default 5), BENCH_LOAD_CONNECTIONS (default 10),
  // BENCH_LOAD_EMBEDDED=0 to time only the PostgreSQL server; BENCH_LOAD_SCENARIOS=read,search,...
  // for some scenarios only (read, search, create, worklist, case, everything, finder; the read's
  // floor goes with read); BENCH_LOAD_SETTLE_MINUTES the longest wait for the server's background
  // work after start (default 180); BENCH_LOAD_SERVER_NODE_OPTIONS for the server process (e.g.
  // `--inspect=127.0.0.1:9339` to attach a profiler).
  const scenarioKeys = process.env.BENCH_LOAD_SCENARIOS?.split(',').filter(Boolean);
  const unknown = scenarioKeys?.filter((k) => !(LOAD_SCENARIOS as readonly string[]).includes(k)) ?? [];
  if (unknown.length > 0)
    throw new Error(`BENCH_LOAD_SCENARIOS: no scenario ${unknown.join(', ')} (${LOAD_SCENARIOS.join(', ')})`);
  const load = {
    patients: Number(process.env.BENCH_LOAD_PATIENTS ?? 2_000),
    seconds: Number(process.env.BENCH_LOAD_SECONDS ?? 5),
    connections: Number(process.env.BENCH_LOAD_CONNECTIONS ?? 10),
    scenarios: scenarioKeys as LoadScenario[] | undefined,
    settleTimeoutSeconds: Number(process.env.BENCH_LOAD_SETTLE_MINUTES ?? 180) * 60,
    serverNodeOptions: process.env.BENCH_LOAD_SERVER_NODE_OPTIONS,
    log,
  };
  // BENCH_LOAD_SEEDED_URL: a PostgreSQL database seeded before (the reports bench's store of
  // 100,000 patients, BENCH_REPORT_PG_DATA): the server side runs on a copy of it (loadCopyOf)
  // instead of seeding demo data.
  const seededUrl = process.env.BENCH_LOAD_SEEDED_URL
    ? await loadCopyOf(process.env.BENCH_LOAD_SEEDED_URL)
    : undefined;
  const embedded = process.env.BENCH_LOAD_EMBEDDED === '0' ? 'skipped' : await runLoadBench(load);
  const pgServer = process.env.DATABASE_URL || seededUrl ? undefined : startBenchPostgres(55443);
  const url = seededUrl ?? process.env.DATABASE_URL ?? pgServer?.url;
  let server: unknown = 'no PostgreSQL server available';
  try {
    if (url) server = await runLoadBench({ ...load, databaseUrl: url, seeded: !!seededUrl });
  } finally {
    pgServer?.stop();
  }
  save('load', { embedded, server });
}
