import type { Db, Queryable } from '../db/index.ts';
import { INDEX_TABLES } from './search/write.ts';

/**
 * Planner statistics kept in step with what the store writes.
 *
 * PGlite runs no autovacuum, so its statistics go stale as data arrives: once the store has
 * grown by half since the last ANALYZE we run one. The size to grow from is read from the
 * catalogue when the process first writes: counting from zero in every new process made each
 * thousand writes into a large database analyse all of it.
 *
 * On both backends, a resource type the statistics barely know is a trap of its own: a server's
 * autovacuum waits for a tenth of a table to change, and 1,200 Practitioners imported into a
 * store of 20,000 patients are far less than that. The planner, still believing there is about
 * one Practitioner, walked every Practitioner's token rows for each conditional reference
 * (`Practitioner?identifier=...`): 2 s a lookup, a Synthea import at 200 resources/s instead of
 * thousands. So the store also counts writes per type, and once a type has grown to four times
 * the rows the planner believes it has (at least MIN_TYPE_WRITES written), the store's tables
 * are analysed. ANALYZE takes at most a tenth of the time on PGlite (it holds the one
 * connection), a quarter on a server: after one that took d, the next waits 9d or 3d. An import
 * settles them at once after its reference data (settleStatistics).
 */
interface Growth {
  /** PGlite: resources written since the last ANALYZE, and the store's size at it (from pg_class). */
  sinceAnalyze: number;
  atLastAnalyze: number | undefined;
  /** Per resource type: writes since the last ANALYZE, and the rows the planner believed it had then. */
  types: Map<string, { written: number; believed: number | undefined }>;
  /** The reading of beliefs or the ANALYZE under way. */
  running: Promise<void> | undefined;
  /** Date.now() before which no new ANALYZE starts, and the timer waiting for it. */
  notBefore: number;
  waiting: ReturnType<typeof setTimeout> | undefined;
}

const growth = new WeakMap<Db, Growth>();
const MIN_WRITES = 1000;
const GROWTH_FACTOR = 0.5;
const MIN_TYPE_WRITES = 200;
/** A type grown to four times the rows the planner believes it has: plans made for it mislead. */
const TYPE_GROWTH_FACTOR = 3;
/** The share of time ANALYZE may take: on PGlite it holds the one connection, on a server another. */
const DUTY_CYCLE = { pglite: 0.1, postgres: 0.25 } as const;
/** The store's own tables: a server's other tables are left to its autovacuum. */
const STORE_TABLES = ['fhir_resource', ...INDEX_TABLES];

/**
 * Notes resources written (one type name per resource); may start an ANALYZE in the background.
 * Written in a transaction (`tx`): noted once it has committed, or an ANALYZE on another
 * connection of a server would run before the rows are there, miss them, and count them as seen.
 */
export function noteWrites(db: Db, resourceTypes: readonly string[], tx?: Queryable): void {
  if (resourceTypes.length === 0) return;
  if (tx?.afterCommit) tx.afterCommit(() => noteWrites(db, resourceTypes));
  else noteCommittedWrites(db, resourceTypes);
}

function noteCommittedWrites(db: Db, resourceTypes: readonly string[]): void {
  const g: Growth = growth.get(db) ?? {
    sinceAnalyze: 0,
    atLastAnalyze: undefined,
    types: new Map(),
    running: undefined,
    notBefore: 0,
    waiting: undefined,
  };
  growth.set(db, g);
  g.sinceAnalyze += resourceTypes.length;
  for (const type of resourceTypes) {
    const t = g.types.get(type) ?? { written: 0, believed: undefined };
    t.written += 1;
    g.types.set(type, t);
  }
  maybeAnalyze(db, g);
}

/**
 * Brings the statistics up to date now if what was written made them stale, whatever the duty
 * cycle: an import calls it after the reference data its bundles are about to refer to.
 */
export async function settleStatistics(db: Db): Promise<void> {
  const g = growth.get(db);
  if (!g) return;
  // Beliefs read, then the ANALYZE: a few rounds at most.
  for (let round = 0; round < 4; round++) {
    if (g.running) {
      await g.running;
      continue;
    }
    if (g.waiting) clearTimeout(g.waiting);
    g.waiting = undefined;
    maybeAnalyze(db, g, true);
    if (!g.running) return;
  }
}

function maybeAnalyze(db: Db, g: Growth, now = false): void {
  if (g.running || g.waiting) return;
  const unread = [...g.types.entries()].filter(([, t]) => t.believed === undefined).map(([type]) => type);
  if ((db.dialect === 'pglite' && g.atLastAnalyze === undefined) || unread.length > 0) {
    g.running = readBeliefs(db, g, unread).finally(() => {
      g.running = undefined;
      maybeAnalyze(db, g, now);
    });
    return;
  }
  const stale = staleness(db, g);
  if (!stale) return;
  const wait = g.notBefore - Date.now();
  if (wait > 0 && !now) {
    g.waiting = setTimeout(() => {
      g.waiting = undefined;
      maybeAnalyze(db, g);
    }, wait);
    g.waiting.unref();
    return;
  }
  g.running = analyze(db, g, stale).finally(() => {
    g.running = undefined;
    maybeAnalyze(db, g);
  });
}

/** What is stale: the whole embedded database (it grew by half), the store's tables, or nothing. */
function staleness(db: Db, g: Growth): 'database' | 'store' | undefined {
  if (
    db.dialect === 'pglite' &&
    g.sinceAnalyze >= Math.max(MIN_WRITES, (g.atLastAnalyze ?? 0) * GROWTH_FACTOR)
  )
    return 'database';
  const typeOutgrown = [...g.types.values()].some(
    (t) => t.written >= Math.max(MIN_TYPE_WRITES, (t.believed ?? 0) * TYPE_GROWTH_FACTOR),
  );
  return typeOutgrown ? 'store' : undefined;
}

async function analyze(db: Db, g: Growth, what: 'database' | 'store'): Promise<void> {
  const total = (g.atLastAnalyze ?? 0) + g.sinceAnalyze;
  // Either kind analyses the store's tables, whose growth the embedded rule counts.
  g.sinceAnalyze = 0;
  g.types.clear();
  const start = Date.now();
  try {
    // The whole database only on PGlite (nothing else analyses it); a server's autovacuum
    // keeps the rest, and the other tables of an embedded one wait for the store to grow by half.
    await db.query(what === 'database' ? 'ANALYZE' : `ANALYZE ${await storeColumns(db)}`);
    g.atLastAnalyze = total;
  } catch {
    // A closed database or a cancelled statement: the next writes try again.
  } finally {
    const duty = DUTY_CYCLE[db.dialect];
    g.notBefore = Date.now() + ((Date.now() - start) * (1 - duty)) / duty;
  }
}

/**
 * The store's tables for ANALYZE, each with the columns a new type's plans turn on: what a type
 * has (resource_type and the search keys), not the documents. Naming columns also leaves out the
 * expressions of the finder's name indexes (PostgreSQL analyses index expressions only when no
 * columns are named): evaluating Double Metaphone and Soundex over the sample made search_string
 * half the cost of analysing the store. The whole-database ANALYZE and a server's autovacuum
 * keep those.
 */
async function storeColumns(db: Db): Promise<string> {
  const cached = columnLists.get(db);
  if (cached) return cached;
  const res = await db.query<{ list: string }>(
    `SELECT string_agg(format('%I (%s)', c.relname, cols), ', ' ORDER BY c.relname) AS list
       FROM pg_class c
       CROSS JOIN LATERAL (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
                             FROM pg_attribute a
                            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                              AND a.attname NOT IN ('content', 'content_text')) a
      WHERE c.oid = ANY($1::regclass[])`,
    [STORE_TABLES],
    { oneOff: true },
  );
  const list = res.rows[0]?.list ?? STORE_TABLES.join(', ');
  columnLists.set(db, list);
  return list;
}
const columnLists = new WeakMap<Db, string>();

/** The store's size as the last ANALYZE saw it (PGlite), and each type's rows as the planner believes. */
async function readBeliefs(db: Db, g: Growth, types: string[]): Promise<void> {
  if (db.dialect === 'pglite' && g.atLastAnalyze === undefined) {
    const r = await db
      .query<{ n: number }>(
        `SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'fhir_resource'::regclass`,
      )
      .catch(() => undefined);
    g.atLastAnalyze = Number(r?.rows[0]?.n ?? 0);
  }
  for (const type of types) {
    const t = g.types.get(type);
    if (t) t.believed = await believedRows(db, type);
  }
}

/** The planner's estimate of a type's rows: what its plans are made for (0 when it cannot say). */
export async function believedRows(db: Db, type: string): Promise<number> {
  // One-off (never kept prepared): planned with the type's value, as a search by type is.
  const res = await db
    .query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
      'EXPLAIN (FORMAT JSON) SELECT 1 FROM fhir_resource WHERE resource_type = $1',
      [type],
      { oneOff: true },
    )
    .catch(() => undefined);
  return Number(res?.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
}
