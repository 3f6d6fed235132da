import { createHash } from 'node:crypto';
import pg from 'pg';
import { StatementCancelled, type Db, type Queryable, type QueryOptions, type QueryResult } from './db.ts';

// Return int8 and numeric as JS numbers: counts and scores here stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/**
 * How long one statement may run on the server before it is cancelled (a search the limits of
 * src/fhir/search/limits.ts let through but a large store makes slow, a lock held too long):
 * the request is then answered 503 instead of holding a connection of the pool indefinitely.
 * Migrations lift it for their own statements (migrate.ts).
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export interface PostgresOptions {
  /** Statement timeout of every connection of the pool, in ms; 0 for none (the server's default). */
  statementTimeoutMs?: number;
}

/** The names of kept statements by their text: each text hashed once per process. */
const keptNames = new Map<string, string>();

/** A kept statement's name: made from its text, so one name never covers two texts. */
function keptName(sql: string): string {
  let name = keptNames.get(sql);
  if (name === undefined) {
    name = `kept_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
    keptNames.set(sql, name);
  }
  return name;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Db> {
  const timeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  // Sent with each connection's startup packet, so every statement of the pool runs under it.
  const pool = new pg.Pool({ connectionString: url, max: 10, statement_timeout: timeout });
  // A connection lost while idle (the server restarted, an administrator ended it) is emitted
  // here; unheard, it would end the process. The pool drops it and opens a new one when needed.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const run = async <T>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> => {
    const values = params ? [...params] : undefined;
    try {
      const res = await (options?.keep
        ? client.query({ name: keptName(sql), text: sql, values })
        : client.query(sql, values));
      return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
    } catch (err) {
      throw cancelled(err, timeout) ?? err;
    }
  };
  return {
    dialect: 'postgres',
    query: (sql, params, options) => run(pool, sql, params, options),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // Lost between two statements of the transaction: the next statement fails with it; the
      // event itself, unheard, would end the process.
      let lost: Error | undefined;
      const onLost = (err: Error): void => {
        lost = err;
      };
      client.on('error', onLost);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const committed: Array<() => void> = [];
        const value = await fn({
          query: (sql, params, options) => run(client, sql, params, options),
          afterCommit: (then) => committed.push(then),
        });
        await client.query('COMMIT');
        for (const then of committed) then();
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      } finally {
        client.off('error', onLost);
        // A connection lost, or that cannot even roll back, is not given back to the pool.
        client.release(lost ?? broken);
      }
    },
    close: () => pool.end(),
  };
}

/** The driver's query_canceled error as a StatementCancelled; undefined for any other error. */
function cancelled(err: unknown, timeoutMs: number): StatementCancelled | undefined {
  if ((err as { code?: unknown } | null)?.code !== '57014') return undefined;
  const byTimeout = /statement timeout/i.test((err as Error).message);
  return new StatementCancelled(
    byTimeout
      ? `The database stopped this request's statement after ${timeoutMs / 1000} s (statement timeout); narrow the request or try again later`
      : "The database cancelled this request's statement; try again later",
    { cause: err },
  );
}
