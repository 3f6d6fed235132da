import pg from 'pg';
import type { Db, Queryable, QueryOptions, QueryResult } from './db.ts';

// Return int8 and numeric as JS numbers: counts and scores here stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query('SELECT 1');
  const run = async <T>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> => {
    const values = params ? [...params] : undefined;
    const res = await (options?.prepareAs
      ? client.query({ name: options.prepareAs, text: sql, values })
      : client.query(sql, values));
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  };
  return {
    dialect: 'postgres',
    query: (sql, params, options) => run(pool, sql, params, options),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const value = await fn({ query: (sql, params, options) => run(client, sql, params, options) });
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
