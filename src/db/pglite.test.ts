import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.ts';
import type { Db } from './db.ts';

/**
 * The embedded adapter keeps each statement prepared; what it returns must be exactly what
 * PGlite's own query() returns for the same SQL, and a failure must leave the session usable.
 */
describe('PGlite adapter with prepared statements', () => {
  let db: Db;
  let plain: PGlite;
  beforeAll(async () => {
    db = await openPglite(undefined);
    plain = await PGlite.create();
    for (const q of [db, plain])
      await q.query(
        `CREATE TABLE t (id text PRIMARY KEY, n bigint, at timestamptz, doc jsonb, tags text[], ok boolean, x numeric)`,
      );
  });
  afterAll(async () => {
    await db.close();
    await plain.close();
  });

  const insert = `INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, NULL, NULL, NULL, '{}', NULL, NULL)`;
  const values = [
    'a',
    42,
    new Date('2026-01-02T03:04:05Z'),
    { k: ['v', 1] },
    ['x', 'y "z"', 'a,b'],
    true,
    '1.50',
    'b',
  ];

  it('returns the same rows and counts as PGlite query() for every column type', async () => {
    const mine = await db.query(insert, values);
    const theirs = await plain.query(insert, values);
    expect(mine.rowCount).toBe(2);
    expect(mine.rowCount).toBe(theirs.affectedRows);
    for (let i = 0; i < 3; i++) {
      // The first run prepares, the next ones reuse the statement.
      const select = `SELECT * FROM t WHERE id = ANY($1::text[]) ORDER BY id`;
      const got = await db.query(select, [['a', 'b']]);
      expect(got.rows).toEqual((await plain.query(select, [['a', 'b']])).rows);
      expect(got.rows[0]).toMatchObject({
        n: 42,
        ok: true,
        tags: ['x', 'y "z"', 'a,b'],
        doc: { k: ['v', 1] },
      });
    }
  });

  it('reports an error and stays usable, inside and outside a transaction', async () => {
    await expect(db.query(`SELECT * FROM missing_table WHERE id = $1`, ['a'])).rejects.toThrow(
      /missing_table/,
    );
    await expect(db.query(`INSERT INTO t (id) VALUES ($1)`, ['a'])).rejects.toThrow(/duplicate key/);
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO t (id) VALUES ($1)`, ['c']);
        await tx.query(`INSERT INTO t (id) VALUES ($1)`, ['a']);
      }),
    ).rejects.toThrow(/duplicate key/);
    const ids = await db.query<{ id: string }>(`SELECT id FROM t ORDER BY id`);
    expect(ids.rows.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('keeps working past the statement limit and after a schema change', async () => {
    for (let i = 0; i < 300; i++) {
      const r = await db.query<{ v: number }>(`SELECT $1::int + ${i} AS v`, [1]);
      expect(r.rows[0]?.v).toBe(1 + i);
    }
    const select = `SELECT * FROM t WHERE id = $1`;
    expect(Object.keys((await db.query(select, ['a'])).rows[0] ?? {})).not.toContain('extra');
    await db.query(`ALTER TABLE t ADD COLUMN extra text DEFAULT 'e'`);
    expect((await db.query(select, ['a'])).rows[0]).toMatchObject({ id: 'a', extra: 'e' });
  });
});

describe('plans of kept statements', () => {
  /** How PostgreSQL runs the kept statement of this text now (its own plan, not a fresh one). */
  const keptPlan = async (db: Db, sql: string, arg: number): Promise<string> => {
    const kept = await db.query<{ name: string }>(
      `SELECT name FROM pg_prepared_statements WHERE statement = $1`,
      [sql],
      { oneOff: true },
    );
    const name = kept.rows[0]?.name ?? '';
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${arg})`, [], {
      oneOff: true,
    });
    return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it('are made afresh against the tables as they have grown, not kept from when they were empty', async () => {
    // As a new store's audit chain: analysed while nearly empty, then grown by every read.
    const db = await openPglite(undefined, { replanAfterMs: 200 });
    try {
      await db.query(`CREATE TABLE chain (seq bigint PRIMARY KEY, hash text NOT NULL)`);
      await db.query(`INSERT INTO chain VALUES (1, 'h')`);
      await db.query('ANALYZE chain');
      const lookup = `SELECT count(*) AS n FROM chain WHERE seq = $1`;
      for (let i = 0; i < 8; i++) await db.query(lookup, [1]);
      await db.query(`INSERT INTO chain SELECT g, 'h' FROM generate_series(2, 20000) g`);
      // The plan made while the table held one row scans it whole.
      expect(await keptPlan(db, lookup, 19999)).toMatch(/Seq Scan/);
      await new Promise((resolve) => setTimeout(resolve, 250));
      for (let i = 0; i < 8; i++) await db.query(lookup, [i + 2]);
      expect(await keptPlan(db, lookup, 19999)).toMatch(/Index Only Scan|Index Scan/);
    } finally {
      await db.close();
    }
  });
});
