import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../testing/test-db.ts';
import type { Db } from './db.ts';

/** Both backends (the one the test run opens). */
describe("a transaction's afterCommit", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb();
    await db.query('CREATE TABLE after_commit_check (x int)');
  });
  afterAll(() => db.close());

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
