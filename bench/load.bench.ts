import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Bundle } from '@medplum/fhirtypes';
import { spawnSync } from 'node:child_process';
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
  /** Sent but unanswered when the scenario ended (slower than the scenario's seconds) or timed out. */
  unanswered: number;
}

export interface LoadResult {
  database: 'embedded' | 'server';
  patients: number;
  seedSeconds: number;
  connections: number;
  secondsPerScenario: number;
  serverRssMb: { afterSeed: number; afterLoad: number };
  scenarios: LoadFigures[];
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

async function getJson<T>(server: RunningServer, path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** One scenario: `connections` clients for `seconds`, each request's path from `path()`. */
async function drive(
  server: RunningServer,
  scenario: string,
  opts: { connections: number; seconds: number },
  request: { method?: 'GET' | 'POST'; path: () => string; body?: () => string },
): Promise<LoadFigures> {
  const result = await autocannon({
    url: server.url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/fhir+json' },
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
  };
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
  log: (line: string) => void;
}): Promise<LoadResult> {
  const env: NodeJS.ProcessEnv = opts.databaseUrl
    ? { ...process.env, DATABASE_URL: opts.databaseUrl }
    : {
        ...process.env,
        DATABASE_URL: '',
        CUSTODIAN_DATA_DIR: mkdtempSync(join(tmpdir(), 'custodian-load-')),
      };
  const database = opts.databaseUrl ? 'server' : 'embedded';
  const seeded = opts.seeded === true && database === 'server';
  opts.log(
    seeded
      ? `load (${database}): starting on the seeded store at ${opts.databaseUrl ?? ''} ...`
      : `load (${database}): seeding ${opts.patients} demo patients through custodian start ...`,
  );
  // A store seeded by another bench has its own users: the administrator the run signs in as is
  // added (or its password set) through the CLI before the server owns the database.
  if (seeded) ensureAdmin(env);
  const t0 = Date.now();
  const server = await startCustodian(env, {
    demoPatients: seeded ? 0 : opts.patients,
    startTimeoutMs: 6 * 3_600_000,
  });
  const seedSeconds = Math.round((Date.now() - t0) / 1000);
  try {
    const patientCount = seeded
      ? ((await getJson<Bundle>(server, '/fhir/R4/Patient?_summary=count')).total ?? 0)
      : opts.patients;
    const patients = await getJson<Bundle>(server, '/fhir/R4/Patient?_count=200');
    const ids = (patients.entry ?? []).map((e) => e.resource?.id ?? '').filter(Boolean);
    const families = (patients.entry ?? [])
      .map((e) => (e.resource?.resourceType === 'Patient' ? (e.resource.name?.[0]?.family ?? '') : ''))
      .filter(Boolean);
    // Cases to open: discharged encounters from a plain search, so a slow worklist is timed by
    // its own scenario rather than stopping the run before it starts.
    const discharged = await getJson<Bundle>(
      server,
      '/fhir/R4/Encounter?status=finished&_count=200&_elements=id',
    );
    const encounters = (discharged.entry ?? []).map((e) => e.resource?.id ?? '').filter(Boolean);
    if (ids.length === 0 || encounters.length === 0)
      throw new Error('the demo data has no patients or encounters');
    const afterSeed = residentBytes(server.child.pid) ?? 0;
    const run = { connections: opts.connections, seconds: opts.seconds };
    const scenarios: LoadFigures[] = [];
    const measure = async (name: string, request: Parameters<typeof drive>[3]): Promise<void> => {
      const figures = await drive(server, name, run, request);
      opts.log(
        `  ${name}: ${figures.requestsPerSecond}/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ` +
          `max ${figures.maxMs} ms (${figures.non2xx} non-2xx, ${figures.errors} errors, ${figures.unanswered} unanswered)`,
      );
      scenarios.push(figures);
    };
    await measure('read Patient', { path: () => `/fhir/R4/Patient/${pick(ids)}` });
    await measure('search Patient by name', {
      path: () => `/fhir/R4/Patient?family=${encodeURIComponent(pick(families))}&_count=20`,
    });
    let n = 0;
    await measure('create Patient', {
      method: 'POST',
      path: () => '/fhir/R4/Patient',
      body: () =>
        JSON.stringify({ resourceType: 'Patient', name: [{ family: `Load${++n}`, given: ['Bench'] }] }),
    });
    await measure('coding worklist', { path: () => '/coding/worklist?limit=50' });
    await measure('coding case', { path: () => `/coding/encounters/${pick(encounters)}` });
    await measure('chart ($everything)', { path: () => `/fhir/R4/Patient/${pick(ids)}/$everything` });
    await measure('chart finder', {
      path: () => `/chart/patients?q=${encodeURIComponent(pick(families).slice(0, 4))}`,
    });
    const afterLoad = residentBytes(server.child.pid) ?? 0;
    const mb = (b: number): number => Math.round(b / 1024 / 1024);
    return {
      database,
      patients: patientCount,
      seedSeconds,
      connections: opts.connections,
      secondsPerScenario: opts.seconds,
      serverRssMb: { afterSeed: mb(afterSeed), afterLoad: mb(afterLoad) },
      scenarios,
    };
  } finally {
    await killServer(server, 'SIGTERM');
  }
}
