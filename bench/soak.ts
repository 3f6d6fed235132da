import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
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
  type RunningServer,
  type Stop,
} from '../src/operations/crash-run.ts';
import { sendHostileInput } from '../src/operations/hostile-input.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../src/operations/throwaway-postgres.ts';
import { rssVerdict } from '../src/operations/rss-trend.ts';

/**
 * `npm run soak` (issue #23 items 2 and 4, long versions):
 * 1. SOAK_CYCLES (default 20) times: the real server under concurrent writers of every kind
 *    (creates, updates, transactions, merges, HL7 messages, coding saves, reads) killed with
 *    SIGKILL at a random moment, restarted on the same data; with SOAK_DATABASE=postgres the
 *    PostgreSQL server (a throwaway one) is killed too in each cycle. Then everything
 *    acknowledged is checked.
 * 2. SOAK_MINUTES (default 10) of the same load plus a stream of hostile input (deep JSON, huge
 *    strings, invalid bundles, bad logins, nonsense searches, MLLP garbage), the server's RSS
 *    sampled every 5 s. The first SOAK_WARMUP_MINUTES (default 40%) are warm-up; the run
 *    fails when RSS keeps growing after it (src/operations/rss-trend.ts: the last minute's
 *    median more than SOAK_RSS_GROWTH (default 10%) above the first post-warm-up minute's, and a
 *    linear fit over the post-warm-up samples rising faster than SOAK_RSS_SLOPE MB a minute,
 *    default 5).
 * SOAK_HEAP_DIR: heap snapshots of the server there after warm-up and at the end (compare them
 * by constructor, e.g. in Chrome's DevTools Memory tab).
 * Embedded PGlite in a temporary folder by default; SOAK_DATABASE=postgres for a throwaway
 * PostgreSQL server (never the shared one).
 */
const cycles = Number(process.env.SOAK_CYCLES ?? 20);
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
// Measured on PGlite: RSS rises for about four minutes of this load, then holds (README).
const warmupMinutes = Number(process.env.SOAK_WARMUP_MINUTES ?? minutes * 0.4);
const writers = Number(process.env.SOAK_WRITERS ?? 8);
const allowedGrowth = Number(process.env.SOAK_RSS_GROWTH ?? 0.1);
const allowedSlope = Number(process.env.SOAK_RSS_SLOPE ?? 5);
const heapDir = process.env.SOAK_HEAP_DIR ?? '';
const onPostgres = process.env.SOAK_DATABASE === 'postgres';

const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
let failed = false;

let database: ThrowawayPostgres | undefined;
if (onPostgres) database = await startThrowawayPostgres();
const env: NodeJS.ProcessEnv = database
  ? { ...process.env, DATABASE_URL: database.url }
  : { ...process.env, DATABASE_URL: '', CUSTODIAN_DATA_DIR: mkdtempSync(join(tmpdir(), 'custodian-soak-')) };
console.log(
  `soak on ${database ? `a throwaway PostgreSQL server (${database.url})` : `embedded PGlite (${env.CUSTODIAN_DATA_DIR ?? ''})`}`,
);

/** SIGUSR2 makes the server write a heap snapshot (it was started with --heapsnapshot-signal). */
async function heapSnapshot(server: RunningServer, label: string): Promise<void> {
  if (!heapDir) return;
  const before = new Set(readdirSync(heapDir));
  server.child.kill('SIGUSR2');
  // The snapshot is written on the main thread: the next answered request comes after it.
  await new Promise((r) => setTimeout(r, 500));
  await fetch(`${server.url}/fhir/R4/metadata`).then((r) => r.arrayBuffer());
  const file = readdirSync(heapDir).find((f) => !before.has(f)) ?? '(none)';
  console.log(`heap snapshot ${label}: ${join(heapDir, file)}`);
}

async function memoryRun(): Promise<void> {
  if (heapDir) mkdirSync(heapDir, { recursive: true });
  const ledger = emptyLedger();
  const server = await startCustodian(
    heapDir
      ? {
          ...env,
          NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${heapDir}`,
        }
      : env,
    { startTimeoutMs: 600_000 },
  );
  const samples: Array<{ at: number; rss: number }> = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    const rss = residentBytes(server.child.pid);
    if (rss !== undefined) samples.push({ at: Date.now() - started, rss });
  }, 5000);
  const stop: Stop = { stopped: false };
  let hostile = { sent: 0, serverErrors: 0 };
  const hostileStream = (async () => {
    while (!stop.stopped) {
      const batch = await sendHostileInput(server, 26, 1);
      hostile = { sent: hostile.sent + batch.sent, serverErrors: hostile.serverErrors + batch.serverErrors };
    }
  })();
  const warmedUp = new Promise<void>((resolve) => setTimeout(resolve, warmupMinutes * 60_000));
  const snapshotAfterWarmup = warmedUp.then(() => heapSnapshot(server, 'after warm-up'));
  const timer = setTimeout(() => (stop.stopped = true), minutes * 60_000);
  try {
    await Promise.all([drive(server, ledger, writers, stop), hostileStream, snapshotAfterWarmup]);
    await heapSnapshot(server, 'after the load');
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    await killServer(server, 'SIGTERM');
  }
  const verdict = rssVerdict(samples, {
    warmupMs: warmupMinutes * 60_000,
    allowedGrowth,
    allowedSlopeMbPerMinute: allowedSlope,
  });
  console.log(
    `memory over ${minutes} min (${JSON.stringify(ledger.counts)} acknowledged; ${hostile.sent} hostile requests, ` +
      `${hostile.serverErrors} answered 5xx): RSS ${mb(samples[0]?.rss ?? 0)} MB at start, ` +
      `${verdict.postWarmupMedianMb} MB median in the first minute after warm-up, ` +
      `${verdict.lastMinuteMedianMb} MB median in the last minute, slope ${verdict.slopeMbPerMinute} MB/min, ` +
      `peak ${mb(Math.max(0, ...samples.map((s) => s.rss)))} MB: ${verdict.growing ? 'KEEPS GROWING' : 'settled'}`,
  );
  console.log(`RSS by minute (MB): ${verdict.byMinuteMb.join(' ')}`);
  failed ||= verdict.growing || hostile.serverErrors > 0;
  const again = await startCustodian(env, { startTimeoutMs: 600_000 });
  try {
    const problems = await checkAfterRestart(again, ledger);
    console.log(`after a restart: ${problems.length} problems`);
    for (const p of problems) console.log(`  ${p}`);
    failed ||= problems.length > 0;
  } finally {
    await killServer(again, 'SIGTERM');
  }
}

try {
  if (cycles > 0) {
    const crash = await runCrashCycles({
      env,
      cycles,
      writers,
      ...(database ? { database } : {}),
      log: (line) => console.log(line),
    });
    console.log(
      `kills survived: ${crash.kills} of the server, ${crash.databaseKills} of the database; acknowledged: ` +
        `${JSON.stringify(crash.acknowledged)} (${crash.acknowledgedWrites} resource versions); problems: ${crash.problems.length}`,
    );
    for (const p of crash.problems) console.log(`  ${p}`);
    failed ||= crash.problems.length > 0;
  }
  if (minutes > 0) await memoryRun();
} finally {
  database?.remove();
}
console.log(failed ? 'soak FAILED' : 'soak passed');
process.exit(failed ? 1 : 0);
