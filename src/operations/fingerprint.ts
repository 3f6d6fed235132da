import type { Queryable } from '../db/index.ts';

/** Per table of the database: how many rows, and a digest of all of them. */
export type Fingerprint = Record<string, { rows: number; digest: string }>;

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * What a backup must bring back, table by table: every row of every table of the schema (every
 * resource and every version of it, the search index, the audit chain, users, code sets, each
 * module's own tables), as a count and an md5 over the rows' text in a fixed order. Two databases
 * with equal fingerprints hold the same rows. Reads the table list from the catalog, so a new
 * module's tables are compared without being named here. For verification: it reads everything.
 */
export async function databaseFingerprint(q: Queryable): Promise<Fingerprint> {
  const tables = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    [],
    { oneOff: true },
  );
  const out: Fingerprint = {};
  for (const { name } of tables.rows) {
    const r = await q.query<{ rows: number; digest: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest
         FROM ${quoteIdent(name)} t`,
      [],
      { oneOff: true },
    );
    out[name] = r.rows[0] ?? { rows: 0, digest: '' };
  }
  return out;
}
