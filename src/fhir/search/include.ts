import type { Resource } from '@medplum/fhirtypes';
import { storedAs } from './definitions.ts';
import type { Queryable } from '../../db/db.ts';
import { visibleTo } from '../access-filter.ts';
import { paramIn } from './sql.ts';
import { storedResource } from '../exact-json.ts';
import { SqlParams } from './sql-params.ts';
import type { IncludeSpec, SearchAccess } from './types.ts';

/** How many rounds `:iterate` follows references before stopping. */
const MAX_ITERATIONS = 4;

/**
 * Resources named by `_include` (referenced by the matches) and `_revinclude` (referring to the
 * matches), deduplicated against the matches and each other, under the same access filter.
 * `:iterate` specs are applied again to what the previous round brought in.
 */
export async function loadIncludes(
  q: Queryable,
  matches: Resource[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
  access: SearchAccess | undefined,
): Promise<Resource[]> {
  if (include.length === 0 && revinclude.length === 0) return [];
  const key = (r: Resource): string => `${r.resourceType}/${r.id}`;
  const seen = new Set(matches.map(key));
  const result: Resource[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ITERATIONS && frontier.length > 0; round++) {
    const pick = (specs: IncludeSpec[]): IncludeSpec[] =>
      round === 0 ? specs : specs.filter((s) => s.iterate);
    const found: Resource[] = [];
    for (const spec of pick(include))
      found.push(...(await forward(q, spec, idsOf(frontier, spec.sourceType), access)));
    for (const spec of pick(revinclude)) {
      for (const type of new Set(frontier.map((r) => r.resourceType))) {
        if (spec.targetType && spec.targetType !== type) continue;
        if (spec.param.targets.length > 0 && !spec.param.targets.includes(type)) continue;
        found.push(...(await reverse(q, spec, type, idsOf(frontier, type), access)));
      }
    }
    frontier = found.filter((r) => !seen.has(key(r)) && seen.add(key(r)));
    result.push(...frontier);
  }
  return result;
}

function idsOf(resources: Resource[], type: string): string[] {
  return resources.filter((r) => r.resourceType === type).map((r) => r.id as string);
}

async function forward(
  q: Queryable,
  spec: IncludeSpec,
  ids: string[],
  access: SearchAccess | undefined,
): Promise<Resource[]> {
  if (ids.length === 0) return [];
  const stored = storedAs(spec.param);
  const p = new SqlParams();
  const where = [
    `x.resource_type = ${p.add(spec.sourceType, 'text')}`,
    `x.resource_id = ANY(${p.add(ids, 'text[]')})`,
    paramIn('x.param', stored.codes, p),
  ];
  for (const type of [spec.targetType, stored.targetType]) {
    if (type) where.push(`x.target_type = ${p.add(type, 'text')}`);
  }
  return referenceEnds(q, 'target', where, p, access);
}

async function reverse(
  q: Queryable,
  spec: IncludeSpec,
  targetType: string,
  ids: string[],
  access: SearchAccess | undefined,
): Promise<Resource[]> {
  const stored = storedAs(spec.param);
  if (ids.length === 0 || (stored.targetType && stored.targetType !== targetType)) return [];
  const p = new SqlParams();
  const where = [
    `x.resource_type = ${p.add(spec.sourceType, 'text')}`,
    paramIn('x.param', stored.codes, p),
    `x.target_type = ${p.add(targetType, 'text')}`,
    `x.target_id = ANY(${p.add(ids, 'text[]')})`,
  ];
  return referenceEnds(q, 'source', where, p, access);
}

/**
 * The resources at one end of the search_reference rows `where` selects (`x`): the targets
 * (`_include`) or the sources (`_revinclude`), live ones only, under the access filter.
 */
async function referenceEnds(
  q: Queryable,
  end: 'target' | 'source',
  where: string[],
  p: SqlParams,
  access: SearchAccess | undefined,
): Promise<Resource[]> {
  const accessSql = visibleTo(access, p);
  const conditions = [...where, 'NOT r.deleted', ...(accessSql ? [accessSql] : [])];
  const on =
    end === 'target'
      ? 'r.resource_type = x.target_type AND r.id = x.target_id'
      : 'r.resource_type = x.resource_type AND r.id = x.resource_id';
  const sql =
    `SELECT DISTINCT r.resource_type, r.id, r.content, r.content_text FROM search_reference x ` +
    `JOIN fhir_resource r ON ${on} WHERE ${conditions.join(' AND ')}`;
  return (await q.query<{ content: Resource; content_text: string | null }>(sql, p.values)).rows.map((row) =>
    storedResource(row.content_text, row.content),
  );
}
