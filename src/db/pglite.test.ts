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
