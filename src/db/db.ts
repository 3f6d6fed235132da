/**
 * One database interface over PGlite (embedded) and node-postgres (DATABASE_URL).
 * Both speak the same PostgreSQL dialect; callers never know which one they have.
 */
export const DIALECTS = ['pglite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * A statement run very often with the same text (a read by id): a PostgreSQL server then parses
   * and plans it once per connection, kept under a name made from its text, so two texts never
   * share a name (the server refuses that). PGlite keeps every query it has run prepared in its
   * one session anyway (see pglite.ts).
   */
  keep?: boolean;
  /**
   * A statement run once (an ad-hoc report, a benchmark's plain-driver baseline): PGlite runs it
   * through its own query() instead of keeping it prepared. No effect on a PostgreSQL server.
   */
  oneOff?: boolean;
}

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>>;
  /**
   * Inside a transaction: runs `fn` once it has committed (never after a rollback). Work that
   * must see the transaction's rows from another connection (an ANALYZE) waits for this.
   */
  afterCommit?(fn: () => void): void;
}

export interface Db extends Queryable {
  readonly dialect: Dialect;
  /**
   * Runs fn inside one transaction: COMMIT when it resolves, ROLLBACK when it throws.
   * Resolves only after the commit is durable (on PGlite: after the file system sync).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A statement the database cancelled (SQLSTATE 57014, query_canceled): it ran past the statement
 * timeout of a PostgreSQL server connection (openPostgres), or an administrator cancelled it.
 * The server answers it 503 with an OperationOutcome; `code` stays the SQLSTATE, as on the
 * driver's own errors.
 */
export class StatementCancelled extends Error {
  readonly code = '57014';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatementCancelled';
  }
}
