import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkAfterRestart,
  drive,
  emptyLedger,
  killServer,
  residentBytes,
  runCrashCycles,
  startCustodian,
  type Stop,
} from '../src/operations/crash-run.ts';

/**
 * `npm run soak` (issue #23 items 2 and 4, long versions):
 * 1. SOAK_CYCLES (default 20) times: the real server under concurrent writers killed with
 *    SIGKILL at a random moment, restarted on the same data; then everything acknowledged checked.
 * 2. SOAK_MINUTES (default 10) of the same load without kills, sampling the server's RSS every
 *    5 s; after the first fifth (warm-up) the samples are cut in thirds, and the run fails if each
 *    third's mean is above the one before and the last is more than SOAK_RSS_GROWTH (default 10%)
 *    above the first: memory that keeps growing, not memory that settles.
 * On embedded PGlite in a temporary folder; SOAK_DATABASE_URL runs it on a PostgreSQL server.
 */
const cycles = Number(process.env.SOAK_CYCLES ?? 20);
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const writers = Number(process.env.SOAK_WRITERS ?? 8);
const allowedGrowth = Number(process.env.SOAK_RSS_GROWTH ?? 0.1);
const databaseUrl = process.env.SOAK_DATABASE_URL ?? '';
const env: NodeJS.ProcessEnv = databaseUrl
  ? { ...process.env, DATABASE_URL: databaseUrl }
  : { ...process.env, DATABASE_URL: '', CUSTODIAN_DATA_DIR: mkdtempSync(join(tmpdir(), 'custodian-soak-')) };
const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
let failed = false;

console.log(
  `soak on ${databaseUrl ? 'the PostgreSQL server' : `embedded PGlite (${env.CUSTODIAN_DATA_DIR ?? ''})`}`,
);
if (cycles > 0) {
  const crash = await runCrashCycles({ env, cycles, writers, log: (line) => console.log(line) });
  console.log(
    `kills survived: ${crash.kills}; acknowledged writes: ${crash.acknowledgedWrites} ` +
      `(${crash.transactions} transactions), answered reads: ${crash.answeredReads}; problems: ${crash.problems.length}`,
  );
  for (const p of crash.problems) console.log(`  ${p}`);
  failed ||= crash.problems.length > 0;
}

if (minutes > 0) {
  const ledger = emptyLedger();
  const server = await startCustodian(env);
  const pid = server.child.pid;
  const samples: Array<{ at: number; rss: number }> = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    const rss = residentBytes(pid);
    if (rss !== undefined) samples.push({ at: Date.now() - started, rss });
  }, 5000);
  const stop: Stop = { stopped: false };
  const timer = setTimeout(() => (stop.stopped = true), minutes * 60_000);
  try {
    await drive(server, ledger, writers, stop);
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    await killServer(server, 'SIGTERM');
  }
  const settled = samples.filter((s) => s.at >= (minutes * 60_000) / 5).map((s) => s.rss);
  const third = Math.floor(settled.length / 3);
  const a = mean(settled.slice(0, third));
  const b = mean(settled.slice(third, 2 * third));
  const c = mean(settled.slice(2 * third));
  const growing = third > 0 && b > a && c > b && c > a * (1 + allowedGrowth);
  console.log(
    `memory over ${minutes} min (${ledger.writes} writes acknowledged): RSS ${mb(samples[0]?.rss ?? 0)} MB at start, ` +
      `${mb(settled[0] ?? 0)} MB after warm-up, thirds ${mb(a)} / ${mb(b)} / ${mb(c)} MB, ` +
      `peak ${mb(Math.max(0, ...samples.map((s) => s.rss)))} MB: ${growing ? 'KEEPS GROWING' : 'settled'}`,
  );
  failed ||= growing;
  const again = await startCustodian(env);
  try {
    const problems = await checkAfterRestart(again, ledger);
    console.log(`after a restart: ${problems.length} problems`);
    for (const p of problems) console.log(`  ${p}`);
    failed ||= problems.length > 0;
  } finally {
    await killServer(again, 'SIGTERM');
  }
}
console.log(failed ? 'soak FAILED' : 'soak passed');
process.exit(failed ? 1 : 0);
