import type { Db } from '../db/index.ts';
import { codeKey, isCodeSystemId, type CodeSystemId } from './systems.ts';
import type { SearchParams } from './types.ts';

export interface SqlHit {
  system: CodeSystemId;
  version: string;
  code: string;
  display: string;
  billable: boolean;
}

/**
 * The same search in SQL only (code prefix with LIKE, words with pg_trgm word similarity).
 * Kept so the benchmark can show why searchCodes answers from memory instead.
 */
export async function searchCodesSql(db: Db, params: SearchParams): Promise<SqlHit[]> {
  const limit = params.limit ?? 20;
  const q = params.q.trim();
  if (!q) return [];
  const sets = await db.query<{ system: string; version: string }>(
    `SELECT system, max(version) AS version FROM code_set_file WHERE part = 'entries'
       AND ($1::text IS NULL OR system = $1) AND ($2::text IS NULL OR version = $2) GROUP BY system`,
    [params.system ?? null, params.fy ?? null],
  );
  const systems = sets.rows.map((r) => r.system);
  const versions = sets.rows.map((r) => r.version);
  const key = codeKey(q);
  if (/^[A-Z]?\d[0-9A-Z]*$/.test(key)) {
    const res = await db.query<SqlHit>(
      `SELECT e.system, e.version, e.code, e.display, e.billable FROM code_entry e
         JOIN unnest($2::text[], $3::text[]) AS s(system, version) USING (system, version)
       WHERE e.code_key LIKE $1 || '%' ORDER BY e.code_key LIMIT $4`,
      [key, systems, versions, limit],
    );
    return res.rows.filter((r) => isCodeSystemId(r.system));
  }
  const res = await db.query<SqlHit>(
    `SELECT e.system, e.version, e.code, e.display, e.billable FROM code_entry e
       JOIN unnest($2::text[], $3::text[]) AS s(system, version) USING (system, version)
     WHERE $1 <% lower(e.display)
     ORDER BY word_similarity($1, lower(e.display)) DESC, length(e.display), e.code_key LIMIT $4`,
    [q.toLowerCase(), systems, versions, limit],
  );
  return res.rows.filter((r) => isCodeSystemId(r.system));
}
