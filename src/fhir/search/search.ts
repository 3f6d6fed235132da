import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import { selectElements, summarize } from '../summary.ts';
import type { Queryable } from '../../db/db.ts';
import { visibleTo } from '../access-filter.ts';
import { encodeCursor } from './cursor.ts';
import { resolveValueSets } from './value-set.ts';
import { loadIncludes } from './include.ts';
import { planFilters } from './plan.ts';
import { renderCond, renderKeyset, renderOrderBy, ROOT, sortColumns } from './sql.ts';
import { storedResource } from '../exact-json.ts';
import { SqlParams } from './sql-params.ts';
import type { Cursor, SearchAccess, SearchRequest } from './types.ts';

export interface SearchOptions {
  /** The FHIR base URL, e.g. `https://host/fhir`, for fullUrl and links. */
  baseUrl: string;
  access?: SearchAccess;
}

/** The WHERE clause shared by the page query and the count query. */
export function renderWhere(
  request: SearchRequest,
  access: SearchAccess | undefined,
  p: SqlParams,
): string[] {
  const where = [`r.resource_type = ${p.add(request.resourceType, 'text')}`, 'NOT r.deleted'];
  for (const cond of planFilters(request.filters)) where.push(renderCond(cond, ROOT, p, access));
  const accessSql = visibleTo(access, p, 'r', request.resourceType);
  if (accessSql) where.push(accessSql);
  return where;
}

/** Number of matches: the same WHERE as the page, without keyset or limit. */
export async function countSearch(
  q: Queryable,
  request: SearchRequest,
  access?: SearchAccess,
): Promise<number> {
  request = await resolveValueSets(q, request);
  const p = new SqlParams();
  const sql = `SELECT count(*)::int AS n FROM fhir_resource r WHERE ${renderWhere(request, access, p).join(' AND ')}`;
  const rows = (await q.query<{ n: number }>(sql, p.values)).rows;
  return Number(rows[0]?.n ?? 0);
}

interface PageRow {
  id: string;
  content: Resource;
  content_text: string | null;
  [sortValue: `s${number}`]: string | null;
}

/** One page of matches after the request's cursor, plus the cursor of the following page. */
export async function searchPage(
  q: Queryable,
  request: SearchRequest,
  access: SearchAccess | undefined,
): Promise<{ matches: Resource[]; next?: Cursor }> {
  const p = new SqlParams();
  const where = renderWhere(request, access, p);
  const columns = sortColumns(request.sort, p);
  if (request.cursor) where.push(renderKeyset(columns, request.cursor, p));
  const select = [
    'r.id',
    'r.content',
    'r.content_text',
    ...columns.map((c, i) => `(${c.expr})::text AS s${i}`),
  ];
  const sql =
    `SELECT ${select.join(', ')} FROM fhir_resource r WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${renderOrderBy(columns)} LIMIT ${p.add(request.count + 1, 'int')}` +
    (request.offset && !request.cursor ? ` OFFSET ${p.add(request.offset, 'int')}` : '');
  const rows = (await q.query<PageRow>(sql, p.values)).rows;
  const page = rows.slice(0, request.count);
  const last = page[page.length - 1];
  const matches = page.map((r) => storedResource(r.content_text, r.content));
  if (rows.length <= request.count || !last) return { matches };
  const next: Cursor = { values: columns.map((_, i) => last[`s${i}`] ?? null), id: last.id };
  return { matches, next };
}

/** Runs a parsed search and answers a FHIR `searchset` Bundle. */
export async function searchBundle(
  q: Queryable,
  request: SearchRequest,
  options: SearchOptions,
): Promise<Bundle> {
  const { access, baseUrl } = options;
  request = await resolveValueSets(q, request);
  const link = (cursor?: Cursor): string => {
    const params = new URLSearchParams(request.linkParams);
    if (cursor) params.set('_cursor', encodeCursor(cursor));
    return `${baseUrl}/${request.resourceType}?${params.toString()}`;
  };
  const self: BundleLink = { relation: 'self', url: link(request.cursor) };
  if (request.summaryCount) {
    const total = await countSearch(q, request, access);
    return { resourceType: 'Bundle', type: 'searchset', total, link: [self] };
  }
  const { matches, next } = await searchPage(q, request, access);
  const included = await loadIncludes(q, matches, request.include, request.revinclude, access);
  let total: number | undefined;
  if (request.totalAccurate) total = await countSearch(q, request, access);
  else if (!request.cursor && !next) total = matches.length; // the whole result is on this page
  const entry = (resource: Resource, mode: 'match' | 'include'): BundleEntry => ({
    fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode },
  });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
    link: next ? [self, { relation: 'next', url: link(next) }] : [self],
    entry: [
      ...matches.map((r) => entry(shaped(r, request), 'match')),
      ...included.map((r) => entry(r, 'include')),
    ],
  };
}

/** A match as `_summary` and `_elements` ask for it. */
function shaped(resource: Resource, request: SearchRequest): Resource {
  if (request.elements) return selectElements(resource, request.elements);
  return request.summary ? summarize(resource, request.summary) : resource;
}
