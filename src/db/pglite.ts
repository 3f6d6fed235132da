import { mkdir } from 'node:fs/promises';
import { PGlite, protocol, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import type { Db, Queryable, QueryOptions, QueryResult } from './db.ts';
import { lockFolder, type FolderLock } from './folder-lock.ts';
import { bindExecuteSync } from './pglite-bind.ts';

/**
 * PGlite has one backend; concurrent callers must take turns, and a transaction must hold the
 * connection from BEGIN to COMMIT. This queue serialises every call.
 */
class Turnstile {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

interface Prepared {
  name: string;
  paramTypes: number[];
  fields: Array<{ name: string; dataTypeID: number }>;
}

/** Statements kept prepared in PGlite's one session; the least recently used is closed. */
const CACHED_STATEMENTS = 256;
/**
 * How long a kept statement's plan is trusted. PostgreSQL keeps a prepared statement's generic
 * plan until an ANALYZE invalidates it, and PGlite runs no autovacuum: a plan made while a table
 * was nearly empty (the audit chain on a new store: a sequential scan to check the chain's last
 * link) stayed in use as the table grew, and every audited read scanned the whole trail. Kept
 * statements are prepared afresh this often, and planned against the tables' sizes of the moment.
 */
const REPLAN_AFTER_MS = 60_000;
/** Statements worth keeping: queries and data changes (DDL and session commands run once). */
const CACHEABLE = /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i;
/** A schema change may change what a kept statement returns (`SELECT *`): start afresh. */
const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i;

const wire = protocol.serialize;

/**
 * Runs statements through PGlite's wire protocol with each distinct SQL text parsed once
 * and kept as a named prepared statement. PGlite's own query() parses, describes, binds and
 * executes in five separate calls into the WASM backend for every query; here a repeated
 * statement is one call (bind, execute, sync), which makes a read by id about three times
 * cheaper. Values are serialised and rows parsed with PGlite's own type handlers, so results
 * are the same as query()'s.
 */
class PreparedStatements {
  private readonly cache = new Map<string, Prepared>();
  private readonly toClose: string[] = [];
  private next = 0;
  private plannedAt = Date.now();
  inTransaction = false;

  constructor(
    private readonly pg: PGlite,
    private readonly replanAfterMs = REPLAN_AFTER_MS,
  ) {}

  async query<T>(
    sql: string,
    params: readonly unknown[] = [],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> {
    if (options?.oneOff || !CACHEABLE.test(sql)) {
      const res = await this.pg.query<T>(sql, [...params]);
      if (SCHEMA_CHANGE.test(sql)) this.forgetAll();
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    }
    if (Date.now() - this.plannedAt > this.replanAfterMs) {
      this.plannedAt = Date.now();
      this.forgetAll();
    }
    const statement = this.cache.get(sql) ?? (await this.prepare(sql));
    // Most recently used last: Map keeps insertion order.
    this.cache.delete(sql);
    this.cache.set(sql, statement);
    const values = params.map((value, i) => this.serialize(value, statement.paramTypes[i]));
    const { messages } = await this.pg.execProtocol(bindExecuteSync(statement.name, values), {
      syncToFs: !this.inTransaction,
    });
    return this.rows<T>(messages, statement);
  }

  private forgetAll(): void {
    for (const statement of this.cache.values()) this.toClose.push(statement.name);
    this.cache.clear();
  }

  private async prepare(sql: string): Promise<Prepared> {
    const name = `custodian_${this.next++}`;
    const closing = this.toClose.splice(0);
    const { messages } = await this.pg
      .execProtocol(
        Buffer.concat([
          ...closing.map((old) => wire.close({ type: 'S', name: old })),
          wire.parse({ name, text: sql, types: [] }),
          wire.describe({ type: 'S', name }),
          wire.sync(),
        ]),
        { syncToFs: false },
      )
      .catch((err: unknown) => {
        this.toClose.push(...closing);
        throw err;
      });
    let paramTypes: number[] = [];
    let fields: Prepared['fields'] = [];
    for (const m of messages) {
      if (m.name === 'parameterDescription')
        paramTypes = (m as unknown as { dataTypeIDs: number[] }).dataTypeIDs;
      if (m.name === 'rowDescription')
        fields = (m as unknown as { fields: Prepared['fields'] }).fields.map((f) => ({
          name: f.name,
          dataTypeID: f.dataTypeID,
        }));
    }
    const prepared = { name, paramTypes, fields };
    this.cache.set(sql, prepared);
    if (this.cache.size > CACHED_STATEMENTS) {
      const [oldestSql, oldest] = this.cache.entries().next().value as [string, Prepared];
      this.cache.delete(oldestSql);
      this.toClose.push(oldest.name);
    }
    return prepared;
  }

  private serialize(value: unknown, oid: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = oid === undefined ? undefined : this.pg.serializers[oid];
    // As PGlite's query() does for types it has no serializer for (text, numbers as text).
    return serializer
      ? serializer(value)
      : typeof value === 'object'
        ? JSON.stringify(value)
        : `${value as string | number | boolean | bigint}`;
  }

  private rows<T>(messages: Array<{ name: string }>, statement: Prepared): QueryResult<T> {
    const rows: T[] = [];
    let rowCount = 0;
    for (const m of messages) {
      if (m.name === 'dataRow') {
        const values = (m as unknown as { fields: Array<string | null> }).fields;
        const row: Record<string, unknown> = {};
        statement.fields.forEach((f, i) => {
          row[f.name] = types.parseType(values[i] ?? null, f.dataTypeID, this.pg.parsers);
        });
        rows.push(row as T);
      } else if (m.name === 'commandComplete') {
        // "INSERT 0 5", "UPDATE 3", "DELETE 2": the count of rows changed (a SELECT's is 0,
        // as PGlite's query() reports it).
        const parts = (m as unknown as { text: string }).text.split(' ');
        if (['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(parts[0] ?? ''))
          rowCount += Number(parts[parts.length - 1]);
      }
    }
    return { rows, rowCount };
  }
}

/** What opens a PGlite database besides its folder (tests start from a copy of a migrated one). */
export interface PgliteOptions {
  /** A data folder tarball from `dumpDataDir()`: the database starts as a copy of it. */
  loadDataDir?: Blob | Uint8Array | undefined;
  /** Server settings for this run (`-c name=value`), e.g. a smaller shared_buffers for tests. */
  settings?: Readonly<Record<string, string>> | undefined;
  /** Extra initdb arguments for a new database (e.g. `--wal-segsize=1` for a smaller dump). */
  initdbArgs?: readonly string[] | undefined;
  /** What this process is, for whoever the folder lock refuses next (`server`, a command). */
  holder?: string | undefined;
  /** How long a kept statement's plan is trusted before it is prepared afresh (default 60 s). */
  replanAfterMs?: number | undefined;
  /** The folder's lock, already taken (a restore holds it while it replaces the folder). */
  lock?: FolderLock | undefined;
}

/** A PGlite database: the common interface plus a dump of its data folder. */
export interface PgliteDb extends Db {
  /** The data folder as an uncompressed tarball, after a CHECKPOINT (a copy starts clean). */
  dumpDataDir(): Promise<Blob>;
}

/**
 * A tarball already in memory, handed to PGlite as it is. PGlite reads `loadDataDir` whole through
 * arrayBuffer(); a Node 20 Blob would copy the bytes in and read them back out in chunks, a third
 * of a second for a test template. The bytes are PGlite's to keep: give each open its own.
 */
class TarballBytes extends Blob {
  constructor(private readonly tarball: Uint8Array) {
    super();
  }
  override get size(): number {
    return this.tarball.byteLength;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.tarball;
    const whole = byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer;
    return Promise.resolve(whole ? buffer : this.tarball.slice().buffer);
  }
}

export async function openPglite(
  dataDir: string | undefined,
  options: PgliteOptions = {},
): Promise<PgliteDb> {
  // One process per data folder (folder-lock.ts): taken before PGlite touches anything.
  const lock = dataDir
    ? (options.lock ?? (await lockFolder(dataDir, options.holder ?? 'custodian')))
    : undefined;
  try {
    return await openLocked(dataDir, options, lock);
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

async function openLocked(
  dataDir: string | undefined,
  options: PgliteOptions,
  lock: FolderLock | undefined,
): Promise<PgliteDb> {
  // PGlite creates its own folder but not the parents of it (./data on a fresh clone).
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const settings = Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const pg = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(options.loadDataDir
      ? {
          loadDataDir:
            options.loadDataDir instanceof Uint8Array
              ? new TarballBytes(options.loadDataDir)
              : options.loadDataDir,
        }
      : {}),
    ...(settings.length > 0 ? { startParams: [...PGlite.defaultStartParams, ...settings] } : {}),
    // Added to PGlite's own initdb arguments.
    ...(options.initdbArgs ? { initDbStartParams: [...options.initdbArgs] } : {}),
    extensions: { pg_trgm, fuzzystrmatch },
  });
  const turns = new Turnstile();
  const statements = new PreparedStatements(pg, options.replanAfterMs);
  const raw = <T>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> => statements.query<T>(sql, params, options);
  return {
    dialect: 'pglite',
    query: (sql, params, options) => turns.run(() => raw(sql, params, options)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      turns.run(async () => {
        // We do not use pg.transaction(): it skips the file system sync after COMMIT
        // (electric-sql/pglite#1065). Plain BEGIN/COMMIT queries each end with a sync,
        // and we sync once more after COMMIT before answering anyone.
        await pg.exec('BEGIN');
        statements.inTransaction = true;
        const committed: Array<() => void> = [];
        let value: T;
        try {
          value = await fn({ query: raw, afterCommit: (then) => committed.push(then) });
        } catch (err) {
          await pg.exec('ROLLBACK');
          throw err;
        } finally {
          statements.inTransaction = false;
        }
        await pg.exec('COMMIT');
        await pg.syncToFs();
        for (const then of committed) then();
        return value;
      }),
    dumpDataDir: () =>
      turns.run(async () => {
        await pg.exec('CHECKPOINT');
        return pg.dumpDataDir('none');
      }),
    close: () =>
      turns.run(async () => {
        await pg.close();
        await lock?.release();
      }),
  };
}
