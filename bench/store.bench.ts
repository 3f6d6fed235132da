import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import Fastify from 'fastify';
import { startServer } from '../src/app/runtime.ts';
import { flushAudit } from '../src/fhir/audit-trail.ts';
import { importFiles, isSharedReferenceData } from '../src/bulk/import.ts';
import { cliContext } from '../src/cli/context.ts';
import { loadConfig, sharedTestdataDir } from '../src/app/config.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { checkResources } from '../src/fhir/definitions.ts';
import { FhirStore } from '../src/fhir/store.ts';
import { extractSearchRows } from '../src/fhir/search/index.ts';
import { ensureSearchIndexCurrent } from '../src/fhir/reindex.ts';
import { writeVersions, type VersionWrite } from '../src/fhir/unchecked-storage.ts';
import { timeInterleaved } from './stats.ts';
import { measureMemory, type MemoryFigures } from './memory.ts';

const PASSWORD = 'bench-password-123';

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** Starts a bench server on a free loopback port. */
async function listenOnLoopback(srv: Server): Promise<LocalServer> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

/** An HTTP server that answers nothing but an empty 200: the cost of a round trip alone. */
async function emptyServer(): Promise<LocalServer> {
  const srv = createServer((_req, res) => res.end('{}'));
  return listenOnLoopback(srv);
}

/**
 * A bare node:http server whose only work is the read's raw SQL, answering the stored text: the
 * raw query and the empty round trip measured together, so the query runs as it does between
 * requests (on PGlite a query right after socket work costs more than one in a tight loop).
 */
export async function rawSqlServer(db: Db): Promise<LocalServer> {
  const srv = createServer((req, res) => {
    const id = (req.url ?? '/').slice(1);
    db.query<{ content: string }>(
      `SELECT content::text AS content FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1`,
      [id],
    ).then(
      (r) => res.end(r.rows[0]?.content ?? '{}'),
      () => res.writeHead(500).end(),
    );
  });
  return listenOnLoopback(srv);
}

/**
 * The right floor of an audited read: the read's raw SQL plus the least durable record of it,
 * one row in a small table, committed before the answer leaves, group-committed as the product
 * does (every read waiting at that moment, one transaction). What any server that must record
 * every read durably pays at least.
 */
export async function rawSqlPlusAuditServer(db: Db): Promise<LocalServer> {
  await db.query(
    `CREATE TABLE bench_read_log (seq bigserial PRIMARY KEY, recorded timestamptz NOT NULL, patient text NOT NULL)`,
  );
  const pending: Array<{ patient: string; written: () => void; failed: (err: unknown) => void }> = [];
  let flushing = false;
  const groupCommits = async () => {
    flushing = true;
    await new Promise((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      const batch = pending.splice(0, pending.length);
      try {
        await db.transaction((tx) =>
          tx.query(`INSERT INTO bench_read_log (recorded, patient) SELECT now(), unnest($1::text[])`, [
            batch.map((w) => w.patient),
          ]),
        );
        for (const w of batch) w.written();
      } catch (err) {
        for (const w of batch) w.failed(err);
      }
    }
    flushing = false;
  };
  const logged = (patient: string) =>
    new Promise<void>((written, failed) => {
      pending.push({ patient, written, failed });
      if (!flushing) void groupCommits();
    });
  const srv = createServer((req, res) => {
    const id = (req.url ?? '/').slice(1);
    db.query<{ content: string }>(
      `SELECT content::text AS content FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1`,
      [id],
    )
      .then(async (r) => {
        await logged(id);
        res.end(r.rows[0]?.content ?? '{}');
      })
      .catch(() => res.writeHead(500).end());
  });
  const server = await listenOnLoopback(srv);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await db.query(`DROP TABLE bench_read_log`);
    },
  };
}

/**
 * Waits until the server started in this process has nothing running in the background: this
 * process idle (under 15% of a core) and, on a PostgreSQL server, no other statement active on
 * its database (autovacuum included), for 5 seconds in a row, then a checkpoint; at most 20
 * minutes. A server started on a freshly seeded store first scores every new patient for the MPI,
 * and reads, searches and imports timed meanwhile would measure that work, not themselves.
 */
async function waitForQuietServer(
  db: Db,
  log: (s: string) => void,
): Promise<{ settleSeconds: number; settled: boolean }> {
  const start = performance.now();
  let quiet = 0;
  let last = process.cpuUsage();
  let reported = start;
  while (performance.now() - start < 20 * 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    const share = (used.user + used.system) / 1e6;
    const others =
      db.dialect === 'postgres'
        ? Number(
            (
              await db.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND (state = 'active' OR backend_type = 'autovacuum worker')`,
              )
            ).rows[0]?.n ?? 0,
          )
        : 0;
    quiet = share < 0.15 && others === 0 ? quiet + 1 : 0;
    const seconds = Math.round((performance.now() - start) / 1000);
    if (quiet >= 5) {
      // The seeding's dirty pages written out now, not by a checkpoint in the middle of the
      // timings (every audited read's commit and every import transaction waits on the disk).
      await db.query('CHECKPOINT');
      return { settleSeconds: seconds, settled: true };
    }
    if (performance.now() - reported > 30_000) {
      reported = performance.now();
      log(
        `  [${db.dialect}] background work after start: ${seconds} s, ${Math.round(share * 100)}% of a core`,
      );
    }
  }
  log(`  [${db.dialect}] background work still running after 20 minutes; measuring anyway`);
  return { settleSeconds: Math.round((performance.now() - start) / 1000), settled: false };
}

/** The same, through a Fastify app without hooks: what the framework itself adds. */
async function emptyFastifyServer(): Promise<LocalServer> {
  const app = Fastify();
  app.get('/', async () => ({}));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

/** MurmurHash3's finaliser: a well-spread 32-bit hash of a counter, the same on every run. */
function mixBits(n: number): number {
  let h = n ^ (n >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Seeds bench-<from>..bench-<n-1> (batches commit whole, so a partial earlier run left bench-0..from-1). */
export async function seedPatients(
  db: Db,
  n: number,
  onProgress?: (done: number) => void,
  from = 0,
): Promise<void> {
  const families = [
    'Smith',
    'Johnson',
    'Williams',
    'Brown',
    'Jones',
    'Garcia',
    'Miller',
    'Davis',
    'Rodriguez',
    'Martinez',
    'Hernandez',
    'Lopez',
    'Gonzalez',
    'Wilson',
    'Anderson',
    'Thomas',
    'Taylor',
    'Moore',
    'Jackson',
    'Martin',
  ];
  const given = [
    'James',
    'Mary',
    'John',
    'Patricia',
    'Robert',
    'Jennifer',
    'Michael',
    'Linda',
    'William',
    'Elizabeth',
    'David',
    'Barbara',
    'Richard',
    'Susan',
    'Joseph',
    'Jessica',
    'Charles',
    'Sarah',
    'Thomas',
    'Karen',
    'Christopher',
    'Nancy',
    'Daniel',
    'Lisa',
    'Matthew',
    'Betty',
    'Anthony',
    'Margaret',
    'Mark',
    'Sandra',
  ];
  // A store seeded from empty is written by this version's indexer: marked so (as a server marks
  // an empty store on first start), a server started on it does not rebuild its search index.
  if (from === 0) await ensureSearchIndexCurrent(db, cliContext(), () => undefined);
  const batch = 2000;
  for (let start = from; start < n; start += batch) {
    const writes: VersionWrite[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      // Given name and birth date vary apart from the family name (a hash of i), as in a real
      // population: tied to i's residues, each family name shared one birth year and given name
      // with 1 in 80 patients, and the MPI's blocks held over a thousand records each.
      const h = mixBits(i + 1);
      const day = new Date(Date.UTC(1930 + (h % 80), (h >>> 8) % 12, 1 + ((h >>> 16) % 28)));
      const resource: Patient & { id: string } = {
        resourceType: 'Patient',
        id: `bench-${i}`,
        identifier: [{ system: 'urn:custodian:mrn', value: `B${i}` }],
        name: [
          {
            family: `${families[i % families.length] ?? 'X'}${Math.floor(i / 400)}`,
            given: [given[(h >>> 24) % given.length] ?? 'Y'],
          },
        ],
        gender: i % 2 ? 'male' : 'female',
        birthDate: day.toISOString().slice(0, 10),
      };
      writes.push({ resource, previousVersion: 0, deleted: false });
    }
    await db.transaction((tx) => writeVersions(tx, writes));
    onProgress?.(Math.min(n, start + batch));
  }
  await db.query('ANALYZE');
}

export interface StoreBenchResult {
  dialect: string;
  patients: number;
  /**
   * Seconds the server's background work (the MPI's first scoring of the seeded patients, chart
   * completeness) took to go quiet after start, before anything was timed; `settled` false when
   * it had not after the limit. Timed beside it, every read and import waited on that work.
   */
  background: { settleSeconds: number; settled: boolean };
  read: {
    http: object;
    /** The read's SQL through our database layer (on PGlite: a kept prepared statement, as the store runs it). */
    rawSql: object;
    /** The same SQL through the driver's plain query() (PGlite parses and plans it each time; pg: unnamed). */
    rawDriverSql: object;
    ratioToDriverPlusEmpty: number;
    /** A bare node:http server answering `{}`: the round trip alone. */
    emptyHttp: object;
    ratioToRawPlusEmpty: number;
    /** A bare Fastify app (no hooks) answering `{}`: the round trip through our HTTP framework. */
    emptyFastify: object;
    ratioToRawPlusEmptyFastify: number;
    /** A bare node:http server running only the read's raw SQL: query and round trip in one. */
    rawSqlHttp: object;
    ratioToRawSqlHttp: number;
    /**
     * The right floor: a bare node:http server running the read's raw SQL and the least durable
     * record of the read (one row, group-committed before answering), and our read's ratio to it.
     */
    rawSqlPlusAuditHttp: object;
    ratioToRawSqlPlusAuditHttp: number;
    /**
     * The reads' AuditEvents still queued when a round ended, written before the next path's
     * round (untimed there), spread over the reads: add it to the p50 for the whole cost.
     */
    auditWrittenAfterRoundMsPerRead: number;
  };
  search: { http: object; rawSql: object; ratio: number };
  import?: {
    resources: number;
    seconds: number;
    resourcesPerSecond: number;
    rawSqlResourcesPerSecond: number;
    ratio: number;
    /**
     * Raw SQL inserting the very rows the import stored (documents and search index rows, read
     * back from the store) into tables shaped and indexed like ours: PostgreSQL's own cost for the
     * same storage, without validation, reference resolution, versioning checks or audit.
     */
    rawStorageResourcesPerSecond: number;
    ratioToRawStorage: number;
    /**
     * The R4 validation of the same resources on one thread, and the rate that alone allows on
     * this machine's cores: the ceiling of any import that validates what it stores.
     */
    validationMicrosPerResource: number;
    cores: number;
    validationCeilingResourcesPerSecond: number;
    /**
     * The right floor of an import that validates what it stores (issue #14's figure is against
     * raw storage alone): the validation's CPU and the raw storage's shared by the cores, or the
     * raw storage alone when that is longer. `ratioToValidatedStorage` is the import's time over it.
     */
    validatedStorageResourcesPerSecond: number;
    ratioToValidatedStorage: number;
    /**
     * The rest of the work no import of these files can leave out, timed alone on one thread:
     * reading and parsing the files' JSON and computing each resource's search index rows (the
     * raw storage is handed both ready made).
     */
    readAndParseMicrosPerResource: number;
    indexRowsMicrosPerResource: number;
    /**
     * The floor of all the required work (raw storage, validation, reading, index rows) on this
     * machine's cores, shared perfectly, and the import's time over it.
     */
    requiredWorkResourcesPerSecond: number;
    ratioToRequiredWork: number;
    /**
     * The least `ratioToRawStorage` any import doing the required work could reach on these
     * cores: the required work's floor over the raw storage. Above issue #14's 1.33 on two cores.
     */
    bestPossibleRatioToRawStorage: number;
    /**
     * CPU this process spent (every thread: the event loop, the validation workers and, embedded,
     * the database) per second of the import, and in all. Near the core count, the import is
     * bound by CPU, not by waiting: it gets faster only by doing less work, not by overlapping
     * more. On a PostgreSQL server the server's own processes are not counted.
     */
    coresBusy: number;
    cpuSeconds: number;
    /** The same for the raw storage's timed inserts (embedded: the database's work alone). */
    rawStorageCpuSeconds: number;
    /** Peak RSS and heap of the import (the process also holds the database when embedded). */
    memory: MemoryFigures;
  };
}

export async function runStoreBench(options: {
  databaseUrl?: string;
  patients: number;
  importSynthea: boolean;
  log: (s: string) => void;
}): Promise<StoreBenchResult> {
  // Embedded: PGlite with its data in a folder on disk, as `npm start` runs it.
  const dataDir = options.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'custodian-bench-'));
  const db = await openDb({ databaseUrl: options.databaseUrl, dataDir });
  const dialect = db.dialect;
  const existing = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM fhir_resource WHERE resource_type = 'Patient' AND id LIKE 'bench-%'`,
  );
  if (Number(existing.rows[0]?.n ?? 0) < options.patients) {
    options.log(`[${dialect}] seeding ${options.patients} patients ...`);
    await seedPatients(
      db,
      options.patients,
      (d) => d % 20000 === 0 && options.log(`  ${d}`),
      Number(existing.rows[0]?.n ?? 0),
    );
  }
  const config = { ...loadConfig({}), port: 0, adminUser: 'bench-admin', adminPassword: PASSWORD };
  const server = await startServer(config, { db, web: false, log: () => undefined });
  const background = await waitForQuietServer(db, options.log);
  const tokenRes = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'bench-admin', password: PASSWORD }),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}` };
  const empty = await emptyServer();
  const emptyFastify = await emptyFastifyServer();
  const rawHttp = await rawSqlServer(db);
  const rawAuditHttp = await rawSqlPlusAuditServer(db);
  const id = (i: number) => `bench-${(i * 7919) % options.patients}`;
  const family = (i: number) => ['smith', 'jones', 'brown', 'davis', 'moore'][i % 5] ?? 'smith';
  const dob = (i: number) =>
    new Date(Date.UTC(1930 + (i % 80), (i * 7) % 12, 1 + (i % 28))).toISOString().slice(0, 10);
  const paths = {
    readHttp: (i: number) =>
      fetch(`${server.url}/fhir/R4/Patient/${id(i)}`, { headers }).then((r) => r.text()),
    readRaw: (i: number) =>
      db.query(`SELECT content FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1`, [id(i)]),
    readRawDriver: (i: number) =>
      db.query(`SELECT content FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1`, [id(i)], {
        oneOff: true,
      }),
    emptyHttp: () => fetch(empty.url).then((r) => r.text()),
    rawSqlHttp: (i: number) => fetch(`${rawHttp.url}/${id(i)}`).then((r) => r.text()),
    rawSqlPlusAuditHttp: (i: number) => fetch(`${rawAuditHttp.url}/${id(i)}`).then((r) => r.text()),
    emptyFastify: () => fetch(emptyFastify.url).then((r) => r.text()),
    searchHttp: (i: number) =>
      fetch(`${server.url}/fhir/R4/Patient?family=${family(i)}${Math.floor(i / 3)}&birthdate=${dob(i)}`, {
        headers,
      }).then((r) => r.text()),
    searchRaw: (i: number) =>
      db.query(
        `SELECT r.content FROM fhir_resource r
          WHERE r.resource_type = 'Patient' AND NOT r.deleted
            AND EXISTS (SELECT 1 FROM search_string s WHERE s.resource_type = 'Patient' AND s.resource_id = r.id AND s.param = 'family' AND s.norm LIKE $1)
            AND EXISTS (SELECT 1 FROM search_date d WHERE d.resource_type = 'Patient' AND d.resource_id = r.id AND d.param = 'birthdate' AND d.low >= $2::timestamptz AND d.high < ($2::date + 1)::timestamptz)
          LIMIT 20`,
        [`${family(i)}${Math.floor(i / 3)}%`, dob(i)],
      ),
  };
  // Reads and searches queue their AuditEvents and write them a moment later. That write is
  // finished after each round, so it never lands in another path's timing; its time is kept
  // and reported per request, since it is part of what a read costs.
  const deferred = { readHttp: 0, searchHttp: 0 };
  const finishAudit = async (key: keyof typeof paths) => {
    const start = performance.now();
    await flushAudit(db);
    if (key === 'readHttp' || key === 'searchHttp') deferred[key] += performance.now() - start;
  };
  // Warm every path up (JIT, caches, connections), then time them in interleaved rounds.
  await timeInterleaved(1000, 2, paths, finishAudit);
  deferred.readHttp = 0;
  deferred.searchHttp = 0;
  const t = await timeInterleaved(3000, 10, paths, finishAudit);
  const readHttp = t.readHttp;
  const readRaw = t.readRaw;
  const emptyHttp = t.emptyHttp;
  const searchHttp = t.searchHttp;
  const searchRaw = t.searchRaw;
  const result: StoreBenchResult = {
    dialect,
    patients: options.patients,
    background,
    read: {
      http: readHttp,
      rawSql: readRaw,
      rawDriverSql: t.readRawDriver,
      ratioToDriverPlusEmpty: round(readHttp.p50 / (t.readRawDriver.p50 + emptyHttp.p50)),
      emptyHttp,
      ratioToRawPlusEmpty: round(readHttp.p50 / (readRaw.p50 + emptyHttp.p50)),
      emptyFastify: t.emptyFastify,
      ratioToRawPlusEmptyFastify: round(readHttp.p50 / (readRaw.p50 + t.emptyFastify.p50)),
      rawSqlHttp: t.rawSqlHttp,
      ratioToRawSqlHttp: round(readHttp.p50 / t.rawSqlHttp.p50),
      rawSqlPlusAuditHttp: t.rawSqlPlusAuditHttp,
      ratioToRawSqlPlusAuditHttp: round(readHttp.p50 / t.rawSqlPlusAuditHttp.p50),
      auditWrittenAfterRoundMsPerRead: Math.round((deferred.readHttp / readHttp.n) * 1000) / 1000,
    },
    search: { http: searchHttp, rawSql: searchRaw, ratio: round(searchHttp.p95 / searchRaw.p95) },
  };
  options.log(
    `[${dialect}] audited read p50 ${readHttp.p50} ms: ${result.read.ratioToRawSqlHttp}x the raw read ` +
      `(rawSqlHttp ${t.rawSqlHttp.p50} ms), ${result.read.ratioToRawSqlPlusAuditHttp}x the raw read plus ` +
      `its durable record (rawSqlPlusAuditHttp ${t.rawSqlPlusAuditHttp.p50} ms); search p95 ${searchHttp.p95} ms`,
  );

  if (options.importSynthea) {
    const dir = join(sharedTestdataDir(), 'synthea');
    const files = readdirSync(dir).sort();
    const shared = files.filter(isSharedReferenceData);
    const store = new FhirStore(db, cliContext());
    await importFiles(
      store,
      shared.map((f) => join(dir, f)),
    );
    const patientFiles = files.filter((f) => !shared.includes(f)).map((f) => join(dir, f));
    const bundles = patientFiles.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Bundle);
    const resources = bundles.reduce((a, b) => a + (b.entry?.length ?? 0), 0);
    // The product's import path: files read, parsed, validated and written as transactions,
    // a few files at once (custodian import does the same).
    let seconds = 0;
    let cpuSeconds = 0;
    const { value: report, memory } = await measureMemory(async () => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const imported = await importFiles(store, patientFiles);
      seconds = (performance.now() - t) / 1000;
      cpuSeconds = cpuSecondsSince(cpu);
      return imported;
    });
    if (report.failures.length > 0) throw new Error(`import failed: ${JSON.stringify(report.failures[0])}`);
    // Raw SQL doing the same storage work: one multi-row insert of the documents per bundle into
    // a plain table keyed like ours (no versions, no search index, no validation, no audit).
    await db.query(
      `CREATE TABLE bench_raw_import (resource_type text, id text, content jsonb, PRIMARY KEY (resource_type, id))`,
    );
    const t2 = performance.now();
    for (const b of bundles) {
      const entries = b.entry ?? [];
      await db.query(
        `INSERT INTO bench_raw_import SELECT t, i, c::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(t, i, c)`,
        [
          entries.map((e) => e.resource?.resourceType ?? ''),
          entries.map((e, i) => e.fullUrl ?? `r${i}`),
          entries.map((e) => JSON.stringify(e.resource)),
        ],
      );
    }
    const rawSeconds = (performance.now() - t2) / 1000;
    await db.query(`DROP TABLE bench_raw_import`);
    const { seconds: rawStorage, cpuSeconds: rawStorageCpu } = await rawStorageSeconds(db, bundles);
    const all = bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource));
    checkResources(all.slice(0, 500)); // warm-up
    const t3 = performance.now();
    checkResources(all);
    const validationMicros = ((performance.now() - t3) * 1000) / all.length;
    const validationSeconds = (validationMicros * resources) / 1e6;
    const validatedStorage = Math.max(rawStorage, (validationSeconds + rawStorage) / availableParallelism());
    const t4 = performance.now();
    for (const f of patientFiles) JSON.parse(readFileSync(f, 'utf8'));
    const parseSeconds = (performance.now() - t4) / 1000;
    all.slice(0, 500).forEach((r) => r && extractSearchRows(r)); // warm-up
    const t5 = performance.now();
    for (const r of all) if (r) extractSearchRows(r);
    const indexRowsSeconds = (performance.now() - t5) / 1000;
    const requiredWork = Math.max(
      rawStorage,
      (rawStorage + validationSeconds + parseSeconds + indexRowsSeconds) / availableParallelism(),
    );
    result.import = {
      resources,
      seconds: round(seconds),
      resourcesPerSecond: Math.round(resources / seconds),
      rawSqlResourcesPerSecond: Math.round(resources / rawSeconds),
      ratio: round(seconds / rawSeconds),
      rawStorageResourcesPerSecond: Math.round(resources / rawStorage),
      ratioToRawStorage: round(seconds / rawStorage),
      validationMicrosPerResource: Math.round(validationMicros),
      memory,
      cores: availableParallelism(),
      validationCeilingResourcesPerSecond: Math.round((availableParallelism() * 1e6) / validationMicros),
      validatedStorageResourcesPerSecond: Math.round(resources / validatedStorage),
      ratioToValidatedStorage: round(seconds / validatedStorage),
      readAndParseMicrosPerResource: Math.round((parseSeconds * 1e6) / resources),
      indexRowsMicrosPerResource: Math.round((indexRowsSeconds * 1e6) / resources),
      requiredWorkResourcesPerSecond: Math.round(resources / requiredWork),
      ratioToRequiredWork: round(seconds / requiredWork),
      bestPossibleRatioToRawStorage: round(requiredWork / rawStorage),
      coresBusy: round(cpuSeconds / seconds),
      cpuSeconds: round(cpuSeconds),
      rawStorageCpuSeconds: round(rawStorageCpu),
    };
    options.log(
      `[${dialect}] import ${result.import.resourcesPerSecond} resources/s, raw storage of the same rows ` +
        `${result.import.rawStorageResourcesPerSecond}/s: ratioToRawStorage ${result.import.ratioToRawStorage}; ` +
        `validated storage ${result.import.validatedStorageResourcesPerSecond}/s: ratioToValidatedStorage ${result.import.ratioToValidatedStorage}; ` +
        `required work ${result.import.requiredWorkResourcesPerSecond}/s: ratioToRequiredWork ${result.import.ratioToRequiredWork}, ` +
        `best possible ratioToRawStorage ${result.import.bestPossibleRatioToRawStorage}; ` +
        `${result.import.coresBusy} of ${result.import.cores} cores busy (${result.import.cpuSeconds} s of CPU, raw storage ${result.import.rawStorageCpuSeconds} s)`,
    );
  }
  await empty.close();
  await emptyFastify.close();
  await rawHttp.close();
  await rawAuditHttp.close();
  await server.stop();
  await db.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  return result;
}

const STORAGE_TABLES = [
  'fhir_resource',
  'search_token',
  'search_string',
  'search_date',
  'search_reference',
  'search_number',
];

/**
 * Times raw multi-row inserts of what the import stored for each bundle (read back first, not
 * timed) into copies of the store's tables with the same indexes, one statement per bundle.
 */
export async function rawStorageSeconds(
  db: Db,
  bundles: Bundle[],
): Promise<{ seconds: number; cpuSeconds: number }> {
  const columns = new Map<string, Array<{ name: string; type: string }>>();
  for (const table of STORAGE_TABLES) {
    const res = await db.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [table],
    );
    columns.set(table, res.rows);
    await db.query(`CREATE TABLE bench_raw_${table} (LIKE ${table} INCLUDING ALL)`);
  }
  // Per bundle: each table's rows as one text array per column.
  const batches: Array<Map<string, string[][]>> = [];
  for (const b of bundles) {
    const ids = (b.entry ?? []).map((e) => (e.fullUrl ?? '').replace(/^urn:uuid:/, ''));
    const types = (b.entry ?? []).map((e) => e.resource?.resourceType ?? '');
    const batch = new Map<string, string[][]>();
    for (const table of STORAGE_TABLES) {
      const cols = columns.get(table) ?? [];
      const idCol = table === 'fhir_resource' ? 'id' : 'resource_id';
      const res = await db.query<Record<string, string | null>>(
        `SELECT ${cols.map((c) => `t.${c.name}::text AS ${c.name}`).join(', ')} FROM ${table} t
           JOIN unnest($1::text[], $2::text[]) AS o(ty, i) ON t.resource_type = o.ty AND t.${idCol} = o.i`,
        [types, ids],
      );
      batch.set(
        table,
        cols.map((c) => res.rows.map((r) => r[c.name] as string)),
      );
    }
    batches.push(batch);
  }
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (const batch of batches) {
    const params: unknown[] = [];
    const ctes = STORAGE_TABLES.map((table, n) => {
      const cols = columns.get(table) ?? [];
      const arrays = cols.map((c, i) => {
        params.push(batch.get(table)?.[i] ?? []);
        return `$${params.length}::text[]`;
      });
      const casts = cols.map((c, i) => `c${i}::${c.type}`).join(', ');
      const names = cols.map((_c, i) => `c${i}`).join(', ');
      return `i${n} AS (INSERT INTO bench_raw_${table} SELECT ${casts} FROM unnest(${arrays.join(', ')}) AS x(${names}))`;
    });
    await db.query(`WITH ${ctes.join(',\n')} SELECT 1`, params);
  }
  const seconds = (performance.now() - t) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  for (const table of STORAGE_TABLES) await db.query(`DROP TABLE bench_raw_${table}`);
  return { seconds, cpuSeconds };
}

/** User and system CPU of this process (all its threads) since `start`, in seconds. */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const round = (x: number) => Math.round(x * 100) / 100;
