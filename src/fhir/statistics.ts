import type { Db } from '../db/index.ts';

/**
 * PGlite runs no autovacuum, so its planner statistics go stale as data arrives: a table that
 * held no Practitioners when last analysed is planned as if it still held none, and a search
 * that should take a millisecond scans thousands of rows. The store reports how much it wrote;
 * once the store has grown by half since the last ANALYZE we run one. PostgreSQL servers
 * analyse by themselves.
 *
 * The size to grow from is read from the catalogue when the process first writes: counting from
 * zero in every new process made each thousand writes into a large database analyse all of it
 * (an ANALYZE of a store holding 15,000 resources takes most of a second).
 */
interface Growth {
  sinceAnalyze: number;
  /** Resources in the store at the last ANALYZE; undefined until read from pg_class. */
  atLastAnalyze: number | undefined;
  running: boolean;
}

const growth = new WeakMap<Db, Growth>();
const MIN_WRITES = 1000;
const GROWTH_FACTOR = 0.5;

export function noteWrites(db: Db, count: number): void {
  if (db.dialect !== 'pglite' || count <= 0) return;
  const g = growth.get(db) ?? { sinceAnalyze: 0, atLastAnalyze: undefined, running: false };
  growth.set(db, g);
  g.sinceAnalyze += count;
  maybeAnalyze(db, g);
}

function maybeAnalyze(db: Db, g: Growth): void {
  if (g.running) return;
  if (g.atLastAnalyze === undefined) {
    g.running = true;
    void storedResources(db).then((n) => {
      g.atLastAnalyze = n;
      g.running = false;
      maybeAnalyze(db, g);
    });
    return;
  }
  if (g.sinceAnalyze < Math.max(MIN_WRITES, g.atLastAnalyze * GROWTH_FACTOR)) return;
  g.running = true;
  const total = g.atLastAnalyze + g.sinceAnalyze;
  g.sinceAnalyze = 0;
  db.query('ANALYZE')
    .then(() => {
      g.atLastAnalyze = total;
    })
    .catch(() => undefined)
    .finally(() => {
      g.running = false;
    });
}

/** The store's size as the last ANALYZE saw it (0 when never analysed). */
async function storedResources(db: Db): Promise<number> {
  const r = await db
    .query<{ n: number }>(
      `SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'fhir_resource'::regclass`,
    )
    .catch(() => undefined);
  return Number(r?.rows[0]?.n ?? 0);
}
