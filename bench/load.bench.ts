import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import type { Bundle } from '@medplum/fhirtypes';
import { repoRoot } from '../src/app/config.ts';
import {
  ADMIN_PASSWORD,
  killServer,
  residentBytes,
  startCustodian,
  type RunningServer,
} from '../src/operations/crash-run.ts';

/**
 * Issue #23 item 5: the running server (`custodian start`, its own process) seeded with the demo
 * generator's `patients` patients, driven by autocannon for `seconds` per scenario: a chart's
 * Patient read, a name search, a Patient create, the coding worklist, a coding case, the chart
 * screen's $everything, and the chart finder. Embedded PGlite in a fresh folder, or the
 * PostgreSQL server at `databaseUrl` (a fresh database: the server seeds it on first start).
 *
 * Each figure stands alone: the first scenario waits until the server's own background work
 * (search index rebuild, MPI scoring and chart completeness sweeps of a store they never saw) is
 * done, and each scenario waits until the server has drained what the previous one left (requests
 * still running when the clients stopped, patients it created being scored). Beside the read, the
 * floor: the same load against a bare node:http server doing only the read's raw SQL, and the
 * read's raw SQL plus a durable record of it (bench/store.bench.ts), on the same database.
 */
export interface LoadFigures {
  scenario: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  /**
   * Sent but unanswered when the clients stopped: one in flight per connection is the cut-off
   * itself; more means requests slower than the scenario's seconds or timed out (10 s).
   */
  unanswered: number;
  timeouts: number;
  /**
   * Seconds the server needed afterwards to be quiet again (no statement of its own running,
   * its CPU idle), waited out before the next scenario; `drained` false when it never was.
   */
  drainSeconds?: number;
  drained?: boolean;
}

/** The read's floor on the same database, same connections, same seconds. */
export interface ReadFloor {
  /** A bare node:http server running only the read's raw SQL. */
  rawSql: LoadFigures;
  /** The same plus one row recording the read, group-committed before the answer. */
  rawSqlPlusAudit: LoadFigures;
  /** The floor's reads a second over Custodian's (2 = the floor answers twice as many). */
  rawSqlThroughputOverCustodian: number;
  rawSqlPlusAuditThroughputOverCustodian: number;
  /** Custodian's p99 over the floor's. */
  custodianP99OverRawSql: number;
  custodianP99OverRawSqlPlusAudit: number;
}

export interface LoadResult {
  database: 'embedded' | 'server';
  patients: number;
  seedSeconds: number;
  /** Seconds waited after start for the server's background work to finish, before measuring. */
  backgroundSettleSeconds: number;
  backgroundSettled: boolean;
  connections: number;
  secondsPerScenario: number;
  serverRssMb: { afterSeed: number; afterLoad: number };
  scenarios: LoadFigures[];
  readFloor?: ReadFloor | undefined;
  /** Issue #23's figure for the PostgreSQL server: 1,000 reads a second at p99 50 ms or less. */
  readTarget: { readsPerSecond: number; p99Ms: number; met: boolean };
}

/** Scenario keys for BENCH_LOAD_SCENARIOS (all when absent). */
export const LOAD_SCENARIOS = [
  'read',
  'search',
  'create',
  'worklist',
  'case',
  'everything',
  'finder',
] as const;
export type LoadScenario = (typeof LOAD_SCENARIOS)[number];

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round2 = (x: number): number => Math.round(x * 100) / 100;

async function getJson<T>(server: RunningServer, path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Target {
  url: string;
  token?: string | undefined;
}

/** One scenario: `connections` clients for `seconds`, each request's path from `path()`. */
async function drive(
  target: Target,
  scenario: string,
  opts: { connections: number; seconds: number },
  request: { method?: 'GET' | 'POST'; path: () => string; body?: () => string },
): Promise<LoadFigures> {
  const result = await autocannon({
    url: target.url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: {
      ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
      'content-type': 'application/fhir+json',
    },
    requests: [
      {
        method: request.method ?? 'GET',
        setupRequest: (req) => ({
          ...req,
          path: request.path(),
          ...(request.body ? { body: request.body() } : {}),
        }),
      },
    ],
  });
  return {
    scenario,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    unanswered: Math.max(0, result.requests.sent - result.requests.total - result.errors),
    timeouts: result.timeouts,
  };
}

const describe = (f: LoadFigures): string =>
  `${f.requestsPerSecond}/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms ` +
  `(${f.non2xx} non-2xx, ${f.errors} errors, ${f.unanswered} unanswered)`;

/** CPU seconds (user + system) the process has used so far, from Linux /proc; 0 once gone. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * What the server is doing besides answering: its CPU, and on a PostgreSQL server the statements
 * its own connections are running (they carry the application name the bench gave it, so other
 * users of a shared server do not count).
 */
interface ServerWatch {
  pid: number | undefined;
  statements(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The load bench's own copy of a seeded database (`<name>_load`, made from it as a template the
 * first time): the server writes to what it runs on (its first MPI training files duplicate
 * reviews, the completeness watcher files deficiencies), and the reports bench's store must stay
 * as seeded. The copy is kept, so the server's catch-up on a freshly seeded store happens once.
 */
export async function loadCopyOf(seededUrl: string): Promise<string> {
  const source = new URL(seededUrl);
  const name = source.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name))
    throw new Error(`BENCH_LOAD_SEEDED_URL: '${name}' is not a plain database name`);
  const copy = `${name}_load`;
  const admin = new URL(seededUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const have = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [copy]);
    if (have.rows.length === 0) await client.query(`CREATE DATABASE ${copy} TEMPLATE ${name}`);
  } finally {
    await client.end();
  }
  source.pathname = `/${copy}`;
  return source.toString();
}

async function watchServer(server: RunningServer, databaseUrl: string | undefined, appName: string) {
  const client = databaseUrl
    ? new pg.Client({ connectionString: databaseUrl, application_name: 'custodian-load-watch' })
    : undefined;
  await client?.connect();
  const watch: ServerWatch = {
    pid: server.child.pid,
    async statements() {
      if (!client) return [];
      const res = await client.query<{ query: string }>(
        `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS query FROM pg_stat_activity
          WHERE application_name = $1 AND state <> 'idle'`,
        [appName],
      );
      return res.rows.map((r) => r.query);
    },
    close: async () => client?.end(),
  };
  return watch;
}

/** Below this share of one core the server counts as idle (its timers' empty rounds cost ~1%). */
const IDLE_CPU = 0.15;

/**
 * Waits until the server has been quiet for `quietSeconds` in a row (CPU under IDLE_CPU of a
 * core and no statement of its own running), at most `timeoutSeconds`. Prints what it waits
 * for every `progressSeconds`. Answers the seconds waited and whether it got quiet.
 */
async function waitUntilQuiet(
  watch: ServerWatch,
  opts: { quietSeconds: number; timeoutSeconds: number; progressSeconds: number; label: string },
  log: (line: string) => void,
): Promise<{ seconds: number; settled: boolean }> {
  const start = Date.now();
  let quiet = 0;
  let lastCpu = cpuSeconds(watch.pid);
  let lastProgress = start;
  while (Date.now() - start < opts.timeoutSeconds * 1000) {
    await sleep(1000);
    const cpu = cpuSeconds(watch.pid);
    const share = cpu - lastCpu;
    lastCpu = cpu;
    const running = await watch.statements();
    quiet = share < IDLE_CPU && running.length === 0 ? quiet + 1 : 0;
    if (quiet >= opts.quietSeconds)
      return { seconds: Math.round((Date.now() - start) / 1000), settled: true };
    if (Date.now() - lastProgress >= opts.progressSeconds * 1000) {
      lastProgress = Date.now();
      log(
        `  ${opts.label}: ${Math.round((Date.now() - start) / 1000)} s, server CPU ${Math.round(share * 100)}%` +
          (running.length > 0 ? `, ${running.length} statement(s) running: ${running[0] ?? ''}` : ''),
      );
    }
  }
  log(`  ${opts.label}: not quiet after ${opts.timeoutSeconds} s; measuring anyway`);
  return { seconds: opts.timeoutSeconds, settled: false };
}

/** A read answered within this many milliseconds: the server serves again. */
const PROMPT_MS = 2000;

/** Waits until `path` is answered (2xx) within PROMPT_MS, at most `timeoutSeconds`. */
async function waitUntilAnswering(
  target: Target,
  path: string,
  timeoutSeconds: number,
): Promise<{ seconds: number; answered: boolean }> {
  const start = Date.now();
  while (Date.now() - start < timeoutSeconds * 1000) {
    const sent = Date.now();
    try {
      const res = await fetch(`${target.url}${path}`, {
        headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
        signal: AbortSignal.timeout(PROMPT_MS),
      });
      await res.arrayBuffer();
      if (res.ok && Date.now() - sent < PROMPT_MS)
        return { seconds: Math.round((Date.now() - start) / 1000), answered: true };
    } catch {
      // Not answered in time: still busy.
    }
    await sleep(500);
  }
  return { seconds: timeoutSeconds, answered: false };
}

function ensureAdmin(env: NodeJS.ProcessEnv): void {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'custodian.js'), 'user', ...args], {
      env,
      encoding: 'utf8',
    });
  const added = cli(['add', 'admin', '--role', 'admin', '--password', ADMIN_PASSWORD]);
  if (added.status === 0) return;
  const reset = cli(['reset-password', 'admin', '--password', ADMIN_PASSWORD]);
  if (reset.status !== 0) throw new Error(`cannot set the administrator: ${added.stderr} ${reset.stderr}`);
}

/** bench/load-floor.ts as a process of its own; answers its URL once it listens. */
async function startFloor(
  kind: 'raw' | 'raw+audit',
  env: NodeJS.ProcessEnv,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'load-floor.ts'), kind], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /floor listening at (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the floor server exited ${String(code)}: ${output}`)));
  });
  return { url, child };
}

const stopFloor = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });

/** The read's floor: both bare servers on the server's database, one after the other. */
async function measureFloor(
  env: NodeJS.ProcessEnv,
  ids: string[],
  run: { connections: number; seconds: number },
  read: LoadFigures,
  log: (line: string) => void,
): Promise<ReadFloor> {
  const figures: LoadFigures[] = [];
  for (const kind of ['raw', 'raw+audit'] as const) {
    const floor = await startFloor(kind, env);
    try {
      const name = kind === 'raw' ? 'floor: raw SQL read' : 'floor: raw SQL read + audit row';
      const f = await drive({ url: floor.url }, name, run, { path: () => `/${pick(ids)}` });
      log(`  ${name}: ${describe(f)}`);
      figures.push(f);
    } finally {
      await stopFloor(floor.child);
    }
  }
  const [rawSql, rawSqlPlusAudit] = figures as [LoadFigures, LoadFigures];
  const over = (a: number, b: number): number => (b > 0 ? round2(a / b) : 0);
  return {
    rawSql,
    rawSqlPlusAudit,
    rawSqlThroughputOverCustodian: over(rawSql.requestsPerSecond, read.requestsPerSecond),
    rawSqlPlusAuditThroughputOverCustodian: over(rawSqlPlusAudit.requestsPerSecond, read.requestsPerSecond),
    custodianP99OverRawSql: over(read.p99Ms, rawSql.p99Ms),
    custodianP99OverRawSqlPlusAudit: over(read.p99Ms, rawSqlPlusAudit.p99Ms),
  };
}

export async function runLoadBench(opts: {
  patients: number;
  seconds: number;
  connections: number;
  databaseUrl?: string | undefined;
  /**
   * The database at `databaseUrl` is already seeded (e.g. the reports bench's store of 100,000
   * patients): the server starts on it without demo data and `patients` is counted from it.
   * Seeding 100,000 demo patients through first start would take hours.
   */
  seeded?: boolean | undefined;
  /** Only these scenarios (all when absent); the floor goes with `read`. */
  scenarios?: readonly LoadScenario[] | undefined;
  /** Longest wait for the server's background work after start (default 3 hours). */
  settleTimeoutSeconds?: number | undefined;
  /** NODE_OPTIONS for the server process (e.g. `--inspect=127.0.0.1:9339` to attach a profiler; --cpu-prof is refused there). */
  serverNodeOptions?: string | undefined;
  log: (line: string) => void;
}): Promise<LoadResult> {
  const dataDir = opts.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'custodian-load-'));
  // The server's connections carry this name, so the bench can see its statements on a shared server.
  const appName = `custodian-load-${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl ?? '',
    ...(dataDir ? { CUSTODIAN_DATA_DIR: dataDir } : {}),
  };
  const serverEnv: NodeJS.ProcessEnv = {
    ...env,
    PGAPPNAME: appName,
    ...(opts.serverNodeOptions ? { NODE_OPTIONS: opts.serverNodeOptions } : {}),
  };
  const database = opts.databaseUrl ? 'server' : 'embedded';
  const seeded = opts.seeded === true && database === 'server';
  const wanted = new Set<LoadScenario>(opts.scenarios ?? LOAD_SCENARIOS);
  opts.log(
    seeded
      ? `load (${database}): starting on the seeded store at ${opts.databaseUrl ?? ''} ...`
      : `load (${database}): seeding ${opts.patients} demo patients through custodian start ...`,
  );
  // A store seeded by another bench has its own users: the administrator the run signs in as is
  // added (or its password set) through the CLI before the server owns the database.
  if (seeded) ensureAdmin(env);
  const t0 = Date.now();
  const server = await startCustodian(serverEnv, {
    demoPatients: seeded ? 0 : opts.patients,
    startTimeoutMs: 6 * 3_600_000,
  });
  const seedSeconds = Math.round((Date.now() - t0) / 1000);
  const watch = await watchServer(server, opts.databaseUrl, appName);
  let readFloorArgs: { ids: string[]; read: LoadFigures } | undefined;
  let readFloor: ReadFloor | undefined;
  let result: LoadResult;
  try {
    // A store the server never saw is scored for duplicates and analysed for completeness in
    // the background right after start: measured under that, a figure says nothing of the load.
    opts.log(`load (${database}): waiting for the server's background work to finish ...`);
    const background = await waitUntilQuiet(
      watch,
      {
        quietSeconds: 12,
        timeoutSeconds: opts.settleTimeoutSeconds ?? 3 * 3600,
        progressSeconds: 30,
        label: 'background work',
      },
      opts.log,
    );
    opts.log(
      background.settled
        ? `load (${database}): quiet after ${background.seconds} s`
        : `load (${database}): still busy with its own work after ${background.seconds} s: the figures are under it`,
    );
    const patientCount = seeded
      ? ((await getJson<Bundle>(server, '/fhir/R4/Patient?_summary=count')).total ?? 0)
      : opts.patients;
    // Patients with a birth date: the create scenario's own patients (a seeded store's copy keeps
    // them from run to run) have none, nor any chart to open.
    const patients = await getJson<Bundle>(server, '/fhir/R4/Patient?birthdate=lt2100-01-01&_count=200');
    const ids = (patients.entry ?? []).map((e) => e.resource?.id ?? '').filter(Boolean);
    const families = (patients.entry ?? [])
      .map((e) => (e.resource?.resourceType === 'Patient' ? (e.resource.name?.[0]?.family ?? '') : ''))
      .filter(Boolean);
    // Cases to open: discharged encounters from a plain search, so a slow worklist is timed by
    // its own scenario rather than stopping the run before it starts.
    // Narrowed to the first 50 patients' charts (a search takes at most 100 values): a search over
    // every discharge of a large store was once refused by the statement timeout while the
    // server caught up on its own work.
    const discharged = await getJson<Bundle>(
      server,
      `/fhir/R4/Encounter?status=finished&patient=${ids.slice(0, 50).join(',')}&_count=200&_elements=id`,
    );
    const encounters = (discharged.entry ?? []).map((e) => e.resource?.id ?? '').filter(Boolean);
    if (ids.length === 0 || (encounters.length === 0 && wanted.has('case')))
      throw new Error('the demo data has no patients or encounters');
    const afterSeed = residentBytes(server.child.pid) ?? 0;
    const run = { connections: opts.connections, seconds: opts.seconds };
    const scenarios: LoadFigures[] = [];
    const target: Target = { url: server.url, token: server.token };
    const probe = `/fhir/R4/Patient/${ids[0] ?? ''}`;
    const measure = async (
      key: LoadScenario,
      name: string,
      request: Parameters<typeof drive>[3],
    ): Promise<LoadFigures | undefined> => {
      if (!wanted.has(key)) return undefined;
      const figures = await drive(target, name, run, request);
      opts.log(`  ${name}: ${describe(figures)}`);
      // Requests the clients gave up on still run on the server, and what a scenario wrote is
      // scored in the background: the next scenario starts once all that is done.
      // A server whose own background work never finished is not quiet between scenarios
      // either: then only a short pause for what the clients left in flight.
      const drain = await waitUntilQuiet(
        watch,
        {
          quietSeconds: 3,
          timeoutSeconds: background.settled ? 180 : 10,
          progressSeconds: 15,
          label: `after ${name}`,
        },
        opts.log,
      );
      // Requests the clients gave up on may still hold the server's connection pool (a worklist
      // slower than the timeout): the next scenario starts once a plain read is answered promptly.
      const answering = await waitUntilAnswering(target, probe, 180);
      figures.drainSeconds = drain.seconds + answering.seconds;
      figures.drained = drain.settled && answering.answered;
      scenarios.push(figures);
      return figures;
    };
    const read = await measure('read', 'read Patient', { path: () => `/fhir/R4/Patient/${pick(ids)}` });
    if (read) readFloorArgs = { ids, read };
    // On a PostgreSQL server the floor runs right after the read (the idle server beside it), so
    // both see the same machine; embedded it must wait until the server gave the folder up.
    if (readFloorArgs && database === 'server') {
      readFloor = await measureFloor(env, readFloorArgs.ids, run, readFloorArgs.read, opts.log);
      readFloorArgs = undefined;
    }
    await measure('search', 'search Patient by name', {
      path: () => `/fhir/R4/Patient?family=${encodeURIComponent(pick(families))}&_count=20`,
    });
    let n = 0;
    await measure('create', 'create Patient', {
      method: 'POST',
      path: () => '/fhir/R4/Patient',
      body: () =>
        JSON.stringify({ resourceType: 'Patient', name: [{ family: `Load${++n}`, given: ['Bench'] }] }),
    });
    await measure('worklist', 'coding worklist', { path: () => '/coding/worklist?limit=50' });
    await measure('case', 'coding case', { path: () => `/coding/encounters/${pick(encounters)}` });
    await measure('everything', 'chart ($everything)', {
      path: () => `/fhir/R4/Patient/${pick(ids)}/$everything`,
    });
    await measure('finder', 'chart finder', {
      path: () => `/chart/patients?q=${encodeURIComponent(pick(families).slice(0, 4))}`,
    });
    const afterLoad = residentBytes(server.child.pid) ?? 0;
    const mb = (b: number): number => Math.round(b / 1024 / 1024);
    result = {
      database,
      patients: patientCount,
      seedSeconds,
      backgroundSettleSeconds: background.seconds,
      backgroundSettled: background.settled,
      connections: opts.connections,
      secondsPerScenario: opts.seconds,
      serverRssMb: { afterSeed: mb(afterSeed), afterLoad: mb(afterLoad) },
      scenarios,
      readTarget: {
        readsPerSecond: 1000,
        p99Ms: 50,
        met: !!read && read.requestsPerSecond >= 1000 && read.p99Ms <= 50 && read.non2xx === 0,
      },
    };
  } finally {
    await watch.close();
    // SIGTERM waits for a background round to end, which on a store still being analysed can
    // take longer than the whole run: after 30 s the server is killed.
    await Promise.race([killServer(server, 'SIGTERM'), sleep(30_000)]);
    await killServer(server, 'SIGKILL');
  }
  if (readFloorArgs && dataDir)
    readFloor = await measureFloor(
      { ...env, LOAD_FLOOR_DATA_DIR: join(dataDir, 'db') },
      readFloorArgs.ids,
      { connections: opts.connections, seconds: opts.seconds },
      readFloorArgs.read,
      opts.log,
    );
  if (readFloor)
    opts.log(
      `  read vs floor: the raw SQL read serves ${readFloor.rawSqlThroughputOverCustodian}x ` +
        `Custodian's reads/s, with its audit row ${readFloor.rawSqlPlusAuditThroughputOverCustodian}x; ` +
        `Custodian's p99 is ${readFloor.custodianP99OverRawSql}x / ` +
        `${readFloor.custodianP99OverRawSqlPlusAudit}x theirs`,
    );
  return { ...result, readFloor };
}
