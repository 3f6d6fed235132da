import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../testing/test-db.ts';
import type { Db } from './db.ts';

/** Both backends (the one the test run opens), one database for the file. */
let db: Db;
beforeAll(async () => {
  db = await openTestDb();
  await db.query('CREATE TABLE after_commit_check (x int)');
  await db.query('CREATE TABLE long_text_check (t text, j jsonb, v varchar)');
});
afterAll(() => db.close());

describe("a transaction's afterCommit", () => {
  it('runs once the transaction has committed, its rows visible to any connection', async () => {
    let seen: number | undefined;
    let ran: Promise<void> | undefined;
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO after_commit_check VALUES (1)');
      tx.afterCommit?.(() => {
        ran = db.query<{ n: number }>('SELECT count(*)::int AS n FROM after_commit_check').then((r) => {
          seen = r.rows[0]?.n;
        });
      });
      expect(ran).toBeUndefined();
    });
    await ran;
    expect(seen).toBe(1);
  });

  it('never runs after a rollback', async () => {
    let ran = false;
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO after_commit_check VALUES (2)');
        tx.afterCommit?.(() => {
          ran = true;
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(ran).toBe(false);
    expect((await db.query('SELECT 1 FROM after_commit_check WHERE x = 2')).rows).toEqual([]);
  });
});

/** On PGlite our own writer puts the values on the wire (pglite-bind.ts). */
describe('long text and JSON parameters', () => {
  // Beyond ASCII (two-, three- and four-byte UTF-8), a quote and a backslash, past 512 characters.
  const note = `Zoë's chart — 病历 🏥 "quoted" back\\slash `.repeat(40);
  const doc = { resourceType: 'Basic', text: note, nested: [{ n: 1.5 }] };

  it('arrive intact as text, varchar and jsonb, short and long', async () => {
    for (const t of [note, note.slice(0, 20)]) {
      await db.query('DELETE FROM long_text_check');
      await db.query('INSERT INTO long_text_check VALUES ($1::text, $2::jsonb, $3)', [
        t,
        JSON.stringify(doc),
        t,
      ]);
      const row = (
        await db.query<{ t: string; j: typeof doc; v: string; chars: number }>(
          'SELECT t, j, v, length(t) AS chars FROM long_text_check',
        )
      ).rows[0];
      expect(row).toEqual({ t, j: doc, v: t, chars: [...t].length });
    }
  });

  it('are refused when the text holds a NUL, as in text form', async () => {
    await expect(db.query('SELECT $1::text AS t', [`${'x'.repeat(600)}\u0000`])).rejects.toThrow();
  });
});

describe('kept statements', () => {
  it('are prepared once per text, and two texts never share one', async () => {
    const kept = { keep: true };
    const one = 'SELECT $1::int + 1 AS n /* db.test kept one */';
    const two = 'SELECT $1::int + 2 AS n /* db.test kept two */';
    await db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        expect((await tx.query<{ n: number }>(one, [i], kept)).rows).toEqual([{ n: i + 1 }]);
        expect((await tx.query<{ n: number }>(two, [i], kept)).rows).toEqual([{ n: i + 2 }]);
      }
      // One connection in a transaction: its prepared statements are this session's.
      const prepared = await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
      const texts = prepared.rows.map((r) => r.statement).filter((s) => s === one || s === two);
      expect(texts.sort()).toEqual([one, two]);
    });
  });
});
