import type { ValueSet, ValueSetComposeInclude } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/index.ts';
import { badRequest } from '../outcomes.ts';
import { PREFIX_HIERARCHIES } from './parse.ts';
import type { Filter, SearchRequest, ValueSetMembers } from './types.ts';

/**
 * `code:in=<ValueSet url>` and `code:not-in=...`: the codes a ValueSet stored here names. A coder
 * or registrar keeps lists such as "reportable neoplasms" or "sepsis codes" as ValueSets and
 * finds the charts coded with them. The ValueSet's expansion is used when it has one; otherwise
 * its compose is worked out here: listed concepts, a whole code system, nested ValueSets, and
 * `is-a`/`descendent-of` filters on ICD-10-CM and ICD-10-PCS (whose codes nest by prefix).
 * Anything else (a SNOMED CT hierarchy, property filters) is refused by name rather than
 * answered wrongly.
 */
export async function resolveValueSets(q: Queryable, request: SearchRequest): Promise<SearchRequest> {
  if (!request.filters.some(needsValueSet)) return request;
  const filters = await Promise.all(request.filters.map((f) => resolveFilter(q, f)));
  return { ...request, filters };
}

function needsValueSet(filter: Filter): boolean {
  switch (filter.kind) {
    case 'valueSet':
      return filter.members === undefined;
    case 'chain':
      return filter.targets.some((t) => needsValueSet(t.filter));
    case 'has':
      return needsValueSet(filter.filter);
    case 'all':
      return filter.filters.some(needsValueSet);
    default:
      return false;
  }
}

async function resolveFilter(q: Queryable, filter: Filter): Promise<Filter> {
  switch (filter.kind) {
    case 'valueSet': {
      if (filter.members) return filter;
      const members = emptyMembers();
      for (const url of filter.urls) merge(members, await expand(q, url, new Set()));
      return { ...filter, members };
    }
    case 'chain':
      return {
        ...filter,
        targets: await Promise.all(
          filter.targets.map(async (t) => ({ ...t, filter: await resolveFilter(q, t.filter) })),
        ),
      };
    case 'has':
      return { ...filter, filter: await resolveFilter(q, filter.filter) };
    case 'all':
      return { ...filter, filters: await Promise.all(filter.filters.map((f) => resolveFilter(q, f))) };
    default:
      return filter;
  }
}

const emptyMembers = (): ValueSetMembers => ({ codes: [], below: [], systems: [], excluded: [] });

function merge(into: ValueSetMembers, from: ValueSetMembers): void {
  into.codes.push(...from.codes);
  into.below.push(...from.below);
  into.systems.push(...from.systems);
  into.excluded.push(...from.excluded);
}

/** Nested ValueSets deeper than this are a mistake in the definitions, not a real list. */
const MAX_DEPTH = 8;

async function expand(q: Queryable, canonical: string, seen: Set<string>): Promise<ValueSetMembers> {
  if (seen.has(canonical) || seen.size >= MAX_DEPTH)
    throw badRequest(`ValueSet ${canonical} includes itself, directly or through others`);
  const valueSet = await loadValueSet(q, canonical);
  const members = emptyMembers();
  if (valueSet.expansion?.contains?.length) {
    addExpansion(members, valueSet.expansion.contains);
    return members;
  }
  const include = valueSet.compose?.include ?? [];
  if (include.length === 0)
    throw badRequest(`ValueSet ${canonical} has neither an expansion nor a compose to search with`);
  const inner = new Set([...seen, canonical]);
  for (const part of include) merge(members, await includePart(q, canonical, part, inner));
  for (const part of valueSet.compose?.exclude ?? []) {
    if (!part.system || !part.concept?.length || part.filter?.length || part.valueSet?.length)
      throw badRequest(`ValueSet ${canonical}: only listed concepts can be excluded in a search`);
    members.excluded.push(...part.concept.map((c) => ({ system: part.system as string, code: c.code })));
  }
  return members;
}

type Contains = NonNullable<NonNullable<ValueSet['expansion']>['contains']>;

function addExpansion(members: ValueSetMembers, contains: Contains): void {
  for (const c of contains) {
    if (c.system && c.code && !c.abstract) members.codes.push({ system: c.system, code: c.code });
    if (c.contains) addExpansion(members, c.contains);
  }
}

async function includePart(
  q: Queryable,
  canonical: string,
  part: ValueSetComposeInclude,
  seen: Set<string>,
): Promise<ValueSetMembers> {
  const members = emptyMembers();
  const nested = part.valueSet ?? [];
  if (nested.length > 0 && part.system)
    throw badRequest(`ValueSet ${canonical}: an include naming both a system and ValueSets is not supported`);
  for (const url of nested) merge(members, await expand(q, url, seen));
  if (!part.system) return members;
  const system = part.system;
  if (part.concept?.length) {
    members.codes.push(...part.concept.map((c) => ({ system, code: c.code })));
  } else if (part.filter?.length) {
    for (const f of part.filter) {
      const hierarchy = f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of');
      if (!hierarchy || !PREFIX_HIERARCHIES.has(system))
        throw badRequest(
          `ValueSet ${canonical}: the filter ${f.property} ${f.op} ${f.value} on ${system} cannot be searched here ` +
            '(supported: listed concepts, whole code systems, is-a/descendent-of on ICD-10-CM and ICD-10-PCS)',
        );
      // is-a includes the code itself, descendent-of only what is beneath it.
      members.below.push({ system, prefix: f.value, self: f.op === 'is-a' });
    }
  } else {
    members.systems.push(system);
  }
  return members;
}

/** The current ValueSet with this canonical URL (`url` or `url|version`). */
async function loadValueSet(q: Queryable, canonical: string): Promise<ValueSet> {
  const [url = '', version] = canonical.split('|');
  const rows = await q.query<{ content: ValueSet }>(
    `SELECT r.content FROM fhir_resource r
      WHERE r.resource_type = 'ValueSet' AND NOT r.deleted
        AND r.content->>'url' = $1 AND ($2::text IS NULL OR r.content->>'version' = $2)
      ORDER BY r.last_updated DESC LIMIT 1`,
    [url, version ?? null],
  );
  const found = rows.rows[0]?.content;
  if (!found) throw badRequest(`No ValueSet with url '${canonical}' is stored here`);
  return found;
}
