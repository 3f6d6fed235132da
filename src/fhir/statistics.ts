import type { Db } from '../db/index.ts';

/**
 * PGlite runs no autovacuum, so its planner statistics go stale as data arrives: a table that
 * held no Practitioners when last analysed is planned as if it still held none, and a search
 * that should take a millisecond scans thousands of rows. The store reports how much it wrote;
 * after enough growth since the last ANALYZE we run one. PostgreSQL servers analyse by themselves.
 */
interface Growth {
  sinceAnalyze: number;
  atLastAnalyze: number;
  running: boolean;
}

const growth = new WeakMap<Db, Growth>();
const MIN_WRITES = 1000;

export function noteWrites(db: Db, count: number): void {
  if (db.dialect !== 'pglite' || count <= 0) return;
  const g = growth.get(db) ?? { sinceAnalyze: 0, atLastAnalyze: 0, running: false };
  growth.set(db, g);
  g.sinceAnalyze += count;
  if (g.running || g.sinceAnalyze < Math.max(MIN_WRITES, g.atLastAnalyze * 0.2)) return;
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
