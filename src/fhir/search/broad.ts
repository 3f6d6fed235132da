import type { Resource } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../../db/db.ts';
import { visibleTo } from '../access-filter.ts';
import { storedResource } from '../exact-json.ts';
import { renderWhere } from './search.ts';
import { renderOrderBy, sortJoins } from './sql.ts';
import { SqlParams } from './sql-params.ts';
import type { SearchAccess, SearchRequest } from './types.ts';
import { resolveValueSets } from './value-set.ts';

/**
 * Broad searches: ones that match much of their type (the coder's worklist, every discharge not
 * yet final: 166,000 of 200,000 encounters at 100,000 patients). The planner underestimates how
 * many records pass such criteria together (no extended statistics, see migration 0006), so it
 * probes the index record by record (each criterion, each sort key: seconds per 100,000 records)
 * and then sorts every match. Here each criterion and sort key reads its index slice once and
 * joins it by hash, as a tally does (`querySlices` in tally.ts); the page's ids and the total
 * come from that one pass, and only the page's records are read.
 *
 * The same WHERE, access filter, sort values and order (sort keys NULLS LAST, then id) as
 * `searchPage` and `countSearch`: only the plan differs. Paged by offset (no cursor).
 */

/**
 * Runs statements that read whole index slices: no nested loops (the planner would probe per
 * record), no JIT (a plan costed this high is compiled for longer than it runs), and memory for
 * the hash tables and the sort of every match (at the default 4 MB they spill to disk).
 */
async function inSlices<T>(db: Db, run: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL jit = off');
    await tx.query('SET LOCAL enable_nestloop = off');
    await tx.query("SET LOCAL work_mem = '32MB'");
    return run(tx);
  });
}

/** How many records match a broad search. */
export async function broadCount(db: Db, request: SearchRequest, access?: SearchAccess): Promise<number> {
  request = await resolveValueSets(db, request);
  const p = new SqlParams();
  const sql = `SELECT count(*)::int AS n FROM fhir_resource r WHERE ${renderWhere(request, access, p).join(' AND ')}`;
  const rows = await inSlices(db, async (tx) => (await tx.query<{ n: number }>(sql, p.values)).rows);
  return Number(rows[0]?.n ?? 0);
}

/** One page of a broad search (`request.count` matches after `request.offset`) and the total. */
export async function broadPage(
  db: Db,
  request: SearchRequest,
  access: SearchAccess | undefined,
): Promise<{ matches: Resource[]; total: number }> {
  if (request.cursor) throw new Error('A broad search pages by offset, not by cursor');
  request = await resolveValueSets(db, request);
  const p = new SqlParams();
  const where = renderWhere(request, access, p);
  const { joins, columns } = sortJoins(request.sort, p);
  // Grouped by the record when a key's index rows are joined: a record with several values sorts
  // by their min (max descending), as the correlated form does. The window counts the groups
  // before the limit applies: the total of the same pass.
  const group = joins.length > 0 ? ' GROUP BY r.resource_type, r.id' : '';
  const sql =
    `SELECT r.id, count(*) OVER ()::int AS total FROM fhir_resource r ${joins.join(' ')} ` +
    `WHERE ${where.join(' AND ')}${group} ORDER BY ${renderOrderBy(columns)} ` +
    `LIMIT ${p.add(request.count, 'int')} OFFSET ${p.add(request.offset ?? 0, 'int')}`;
  const rows = await inSlices(
    db,
    async (tx) => (await tx.query<{ id: string; total: number }>(sql, p.values)).rows,
  );
  const total = rows[0]?.total ?? (request.offset ? await broadCount(db, request, access) : 0);
  return {
    matches: await readPage(
      db,
      request.resourceType,
      rows.map((r) => r.id),
      access,
    ),
    total: Number(total),
  };
}

/** The page's records in the page's order (one deleted or hidden since is left out). */
async function readPage(
  q: Queryable,
  type: string,
  ids: string[],
  access: SearchAccess | undefined,
): Promise<Resource[]> {
  if (ids.length === 0) return [];
  const p = new SqlParams();
  const visible = visibleTo(access, p, 'r', type);
  const sql =
    `SELECT r.id, r.content, r.content_text FROM fhir_resource r WHERE r.resource_type = ${p.add(type, 'text')} ` +
    `AND r.id = ANY(${p.add(ids, 'text[]')}) AND NOT r.deleted${visible ? ` AND ${visible}` : ''}`;
  const rows = (await q.query<{ id: string; content: Resource; content_text: string | null }>(sql, p.values))
    .rows;
  const byId = new Map(rows.map((r) => [r.id, storedResource(r.content_text, r.content)]));
  return ids.map((id) => byId.get(id)).filter((r): r is Resource => r !== undefined);
}
