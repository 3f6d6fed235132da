import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkAfterRestart,
  emptyLedger,
  step,
  WRITE_KINDS,
  type Acknowledged,
  type WriteKind,
} from './crash-writes.ts';
import type { ThrowawayPostgres } from './throwaway-postgres.ts';

export { checkAfterRestart, emptyLedger, type Acknowledged } from './crash-writes.ts';

/**
 * Issue #23 item 2: the real server (`custodian start`, a process of its own) under concurrent
 * writers and readers, killed with SIGKILL at a random moment, restarted on the same data, and
 * checked. Used by src/operations/crash.test.ts (two cycles) and `npm run soak` (many, plus a
 * memory watch). Everything goes through HTTP, as a client would see it.
 */

/** The repository (bin/custodian.js): computed here, as src/app imports this module's folder. */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The administrator `startCustodian` signs in as (user admin). */
export const ADMIN_PASSWORD = 'crash-run-pass-42';
const PASSWORD = ADMIN_PASSWORD;

export interface RunningServer {
  child: ChildProcess;
  url: string;
  token: string;
  /** The HL7 v2 ADT listener's port (undefined when it did not start). */
  mllpPort?: number | undefined;
  /** What the server printed so far (stdout and stderr): why it died, when it did. */
  output: () => string;
}

/**
 * Starts `custodian start` on free ports, with no demo data, and logs in as the administrator.
 * `env` is the whole environment (the caller's, with its data folder or DATABASE_URL).
 */
export async function startCustodian(
  env: NodeJS.ProcessEnv,
  opts: { demoPatients?: number; startTimeoutMs?: number } = {},
): Promise<RunningServer> {
  const demo = opts.demoPatients ?? 0;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'custodian.js'), 'start'], {
    env: {
      ...env,
      CUSTODIAN_PORT: '0',
      CUSTODIAN_DEMO: demo > 0 ? '1' : '0',
      CUSTODIAN_DEMO_PATIENTS: String(demo),
      CUSTODIAN_CODESETS_DIR: 'none',
      CUSTODIAN_MLLP_PORT: '0',
      CUSTODIAN_ADMIN_USER: 'admin',
      CUSTODIAN_ADMIN_PASSWORD: PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Ready once it listens, its MLLP listener has started (or said why not) and any demo loaded.
    // A server that never came up is not left running behind the caller.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${output}`));
    }, opts.startTimeoutMs ?? 120_000);
    // Kept listening after the start: the output says why the server died, when it does.
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-50_000);
      const m = /running at (http:\/\/[^/\s]+)/.exec(output);
      const mllpKnown = /\(MLLP\) on |HL7 v2 listener not started/.test(output);
      // The demo data loads after the server listens; its last step is the legal holds.
      if (m?.[1] && mllpKnown && (demo === 0 || /Demo legal holds/.test(output))) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${String(code)}: ${output}`));
    });
  });
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: PASSWORD }),
  });
  const token = ((await res.json()) as { access_token?: string }).access_token;
  if (!token) throw new Error(`login failed: ${res.status}`);
  const mllp = /\(MLLP\) on [^\s:]+:(\d+)/.exec(output)?.[1];
  return { child, url, token, mllpPort: mllp ? Number(mllp) : undefined, output: () => output };
}

/** Servers started and not yet ended: none outlives the process that started it. */
const started = new Set<ChildProcess>();
process.once('exit', () => stopAllStarted());

/** SIGKILL to every server this process started that still runs (a test that timed out...). */
export function stopAllStarted(): void {
  for (const child of started) child.kill('SIGKILL');
}

/** SIGKILL: no chance to flush or release anything on the way out. */
export function killServer(server: RunningServer, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill(signal);
  });
}

/** The server process's resident memory in bytes (Linux /proc), undefined once it has gone. */
export function residentBytes(pid: number | undefined): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Set `stopped` before killing the server: the clients' failures after that are expected. */
export interface Stop {
  stopped: boolean;
}

/**
 * `writers` concurrent clients, each going round every kind of write (and reads), until
 * `stop.stopped`; a failure once stopped (the server killed) ends a client quietly: that write
 * was never acknowledged. A failure before that is a finding and is thrown.
 */
export async function drive(
  server: RunningServer,
  ledger: Acknowledged,
  writers: number,
  stop: Stop,
): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = w; !stop.stopped; n++) {
        try {
          await step(server, ledger, WRITE_KINDS[n % WRITE_KINDS.length] as WriteKind);
        } catch (err) {
          if (stop.stopped) return;
          if (server.child.exitCode !== null || server.child.signalCode !== null)
            throw new Error(`the server died under load: ${server.output().slice(-3000)}`, { cause: err });
          throw err;
        }
      }
    }),
  );
}

/**
 * Drives the server, then calls `kill` (the clients told to expect failures first) `ms` after
 * the start, or with `everyKindFirst`, `ms` after every kind of write has been acknowledged once
 * in this run (a short run must still have killed the server amid each kind).
 */
async function driveUntilKilled(
  server: RunningServer,
  ledger: Acknowledged,
  opts: { writers: number; ms: number; everyKindFirst: boolean },
  kill: () => unknown,
): Promise<void> {
  const stop: Stop = { stopped: false };
  let killed = false;
  const killOnce = async (): Promise<void> => {
    stop.stopped = true;
    if (!killed) {
      killed = true;
      await kill();
    }
  };
  const before = { ...ledger.counts };
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => void killOnce(), opts.ms);
  };
  const started = Date.now();
  // A kind that is never acknowledged must not hang the run: armed after a minute regardless
  // (the caller sees that kind's count unchanged).
  const watch = opts.everyKindFirst
    ? setInterval(() => {
        if (WRITE_KINDS.every((k) => ledger.counts[k] > before[k]) || Date.now() - started > 60_000) {
          clearInterval(watch);
          arm();
        }
      }, 50)
    : undefined;
  if (!watch) arm();
  try {
    await drive(server, ledger, opts.writers, stop);
  } finally {
    clearInterval(watch);
    clearTimeout(timer);
    await killOnce();
  }
}

/**
 * After its database came back: the same server process must serve writes again (its pool's
 * dead connections replaced), within a minute. Undefined when it does, else what went wrong.
 */
async function recoversFromDatabaseRestart(server: RunningServer): Promise<string | undefined> {
  const until = Date.now() + 60_000;
  let last = '';
  while (Date.now() < until) {
    if (server.child.exitCode !== null || server.child.signalCode !== null)
      return `the server exited (${String(server.child.exitCode ?? server.child.signalCode)}) when its database was killed: ${server.output().slice(-3000)}`;
    try {
      const res = await fetch(`${server.url}/fhir/R4/Patient`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'CrashRecovery' }] }),
      });
      await res.arrayBuffer();
      if (res.status === 201) return undefined;
      last = String(res.status);
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return `no write accepted within a minute of the database's restart (last: ${last})`;
}

export interface CrashReport {
  cycles: number;
  /** Acknowledged operations per kind (reads: answered ones). */
  acknowledged: Record<WriteKind, number>;
  /** Acknowledged resource versions, all kinds together. */
  acknowledgedWrites: number;
  /** SIGKILLs of the Custodian server, and of the PostgreSQL server (0 on PGlite). */
  kills: number;
  databaseKills: number;
  problems: string[];
}

/** A random moment between 0.3 s and `maxMs`. */
const randomMs = (maxMs: number): number => 300 + Math.floor(Math.random() * Math.max(1, maxMs - 300));

/**
 * `cycles` times: start the server on the same data, drive it for a random 0.3–`maxRunMs` ms
 * (with `everyKindFirst`, counted from when every kind of write has been acknowledged),
 * SIGKILL it. With `database` (a throwaway PostgreSQL server), each cycle first kills the
 * database itself with SIGKILL at a random moment under the same load, restarts it, and requires
 * the running server to recover before it is killed in turn. Then the server starts once more
 * and everything acknowledged in all cycles is checked. (Checking only at the end keeps the short
 * version short; a later cycle's updates only add versions, so an earlier loss still shows.)
 */
export async function runCrashCycles(opts: {
  env: NodeJS.ProcessEnv;
  cycles: number;
  writers?: number;
  maxRunMs?: number;
  /** Arm each kill only once every kind of write has been acknowledged (the short test). */
  everyKindFirst?: boolean;
  database?: ThrowawayPostgres;
  log?: (line: string) => void;
}): Promise<CrashReport> {
  const ledger = emptyLedger();
  const maxRunMs = opts.maxRunMs ?? 2000;
  const writers = opts.writers ?? 4;
  const everyKindFirst = opts.everyKindFirst ?? false;
  const problems: string[] = [];
  let kills = 0;
  let databaseKills = 0;
  for (let c = 0; c < opts.cycles; c++) {
    const server = await startCustodian(opts.env);
    try {
      const database = opts.database;
      if (database) {
        const ms = randomMs(maxRunMs);
        await driveUntilKilled(server, ledger, { writers, ms, everyKindFirst }, () => database.kill());
        databaseKills++;
        database.start();
        const trouble = await recoversFromDatabaseRestart(server);
        if (trouble) problems.push(`cycle ${String(c + 1)}: ${trouble}`);
        opts.log?.(`cycle ${String(c + 1)}: database killed after ${String(ms)} ms and restarted`);
      }
      const ms = randomMs(maxRunMs);
      await driveUntilKilled(server, ledger, { writers, ms, everyKindFirst }, () => killServer(server));
      kills++;
      opts.log?.(
        `cycle ${String(c + 1)}: server killed after ${String(ms)} ms; ${String(ledger.writes)} writes acknowledged so far`,
      );
    } finally {
      await killServer(server);
    }
  }
  const last = await startCustodian(opts.env);
  try {
    problems.push(...(await checkAfterRestart(last, ledger)));
    return {
      cycles: opts.cycles,
      acknowledged: ledger.counts,
      acknowledgedWrites: ledger.writes,
      kills,
      databaseKills,
      problems,
    };
  } finally {
    await killServer(last, 'SIGTERM');
  }
}
