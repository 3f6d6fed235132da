import { badRequest } from '../outcomes.ts';
import { isKnownResourceType, paramFor, storedAs, type ParamDef } from './definitions.ts';
import { identifierParamCode } from './extract.ts';
import { normalizeString } from './normalize.ts';
import { parseDateValue } from './parse-values.ts';
import type { Filter, IncludeSpec, Prefix, SearchRequest, SortKey, TokenValue } from './types.ts';
import { MAX_COUNT } from './types.ts';

/**
 * Searches built in code: parameters and values as data, turned straight into the parsed form
 * (`SearchRequest`), never written into a query string and parsed back. A value such as the MRN
 * `MRN,001` or `a|b` is one value by construction: nothing needs escaping.
 */
export type Criterion =
  /**
   * `system|code` pairs (ORed); `not`: none of them. Also `_id` (`{ code: id }`), `_tag`, and
   * `<reference param>:identifier` (references that name their target by business identifier).
   */
  | { param: string; tokens: TokenValue[]; not?: boolean }
  /** String parameters: starts with (default) or `exact` (ORed). */
  | { param: string; strings: string[]; exact?: boolean }
  /** Reference parameters: `Type/id` (ORed). */
  | { param: string; references: string[] }
  /** Date parameters: an ISO date or instant at its precision, with a FHIR prefix (default eq). */
  | { param: string; date: string; prefix?: Prefix }
  /** `:missing`. */
  | { param: string; missing: boolean }
  /**
   * A chain, `subject:Patient.<criterion>`: the reference `param` targets a `type` record matching
   * `where` (several criteria: all of them, on the same record).
   */
  | { param: string; chain: { type: string; where: Criterion | Criterion[] } }
  /**
   * A reverse chain, `_has:<type>:<param>:<criterion>`: some `type` record refers to this one by
   * its reference parameter `param` and matches `where` (several criteria: all of them, on that
   * one record, e.g. a Coverage of this payer that is active); `not`: no such record does.
   */
  | { param: string; has: { type: string; where: Criterion | Criterion[] }; not?: boolean };

export interface SearchSpec {
  type: string;
  /** ANDed. */
  where?: Criterion[];
  /** `end`: a date parameter by the end of its range (e.g. an Encounter's discharge), both ways. */
  sort?: Array<{ param: string; descending?: boolean; end?: boolean }>;
  /** Page size, at most 1,000 (default 100). */
  count?: number;
  /** Matches to skip, in sort order, before the page (for screens that page by number). */
  offset?: number;
  /** `_include` from `type` by these reference parameters. */
  include?: Array<{ param: string; targetType?: string }>;
  /** Only the number of matches (`_summary=count`). */
  countOnly?: boolean;
}

const DEFAULT_TYPED_COUNT = 100;

function param(type: string, code: string): ParamDef {
  const def = paramFor(type, code);
  if (!def) throw badRequest(`Unknown search parameter '${code}' for ${type}`);
  return def;
}

function referenceValue(raw: string): { type?: string; id: string } {
  const slash = raw.indexOf('/');
  if (slash < 0) return { id: raw };
  return { type: raw.slice(0, slash), id: raw.slice(slash + 1) };
}

/** One criterion, or several that one record must all meet. */
function allOf(type: string, where: Criterion | Criterion[]): Filter {
  if (!Array.isArray(where)) return filterOf(type, where);
  if (where.length === 0) throw badRequest('A chained or _has criterion needs at least one condition');
  const filters = where.map((c) => filterOf(type, c));
  return filters.length === 1 ? (filters[0] as Filter) : { kind: 'all', filters };
}

function filterOf(type: string, c: Criterion): Filter {
  if ('has' in c) {
    if (!isKnownResourceType(c.has.type)) throw badRequest(`Unknown resource type ${c.has.type}`);
    const source = param(c.has.type, c.param);
    if (source.type !== 'reference' || !source.targets.includes(type))
      throw badRequest(`${c.has.type}.${c.param} does not refer to ${type}`);
    return {
      kind: 'has',
      param: source,
      targetType: type,
      filter: allOf(c.has.type, c.has.where),
      ...(c.not ? { negate: true } : {}),
    };
  }
  if ('tokens' in c && c.param.endsWith(':identifier')) return byIdentifier(type, c);
  const def = param(type, c.param);
  if ('chain' in c) {
    if (def.type !== 'reference' || !def.targets.includes(c.chain.type))
      throw badRequest(`${c.param} of ${type} does not refer to ${c.chain.type}`);
    return {
      kind: 'chain',
      param: def,
      targets: [{ type: c.chain.type, filter: allOf(c.chain.type, c.chain.where) }],
    };
  }
  if ('missing' in c) return { kind: 'missing', param: def, missing: c.missing };
  if ('tokens' in c) {
    if (def.type !== 'token') throw badRequest(`${c.param} is not a token parameter`);
    return { kind: 'token', param: def, modifier: c.not ? 'not' : 'none', values: c.tokens, texts: [] };
  }
  if ('strings' in c) {
    if (def.type !== 'string') throw badRequest(`${c.param} is not a string parameter`);
    return {
      kind: 'string',
      param: def,
      modifier: c.exact ? 'exact' : 'none',
      values: c.strings.map((v) => (c.exact ? v : normalizeString(v))),
    };
  }
  if ('references' in c) {
    if (def.type !== 'reference') throw badRequest(`${c.param} is not a reference parameter`);
    return { kind: 'reference', param: def, values: c.references.map(referenceValue) };
  }
  if (def.type !== 'date') throw badRequest(`${c.param} is not a date parameter`);
  // One date value: parsing it as text is safe, a date holds no separator to escape.
  return { kind: 'date', param: def, values: [parseDateValue(c.param, `${c.prefix ?? 'eq'}${c.date}`)] };
}

/** `owner:identifier`: the token rows a reference keeps for the identifier it names its target by. */
function byIdentifier(type: string, c: { param: string; tokens: TokenValue[]; not?: boolean }): Filter {
  const base = c.param.slice(0, -':identifier'.length);
  const def = param(type, base);
  if (def.type !== 'reference') throw badRequest(`${base} is not a reference parameter`);
  const asToken: ParamDef = {
    ...def,
    code: identifierParamCode(def.code),
    type: 'token',
    indexedAs: { codes: storedAs(def).codes.map(identifierParamCode) },
  };
  return { kind: 'token', param: asToken, modifier: c.not ? 'not' : 'none', values: c.tokens, texts: [] };
}

function includeOf(type: string, inc: { param: string; targetType?: string }): IncludeSpec {
  const def = param(type, inc.param);
  if (def.type !== 'reference') throw badRequest(`${inc.param} is not a reference parameter`);
  return {
    sourceType: type,
    param: def,
    ...(inc.targetType ? { targetType: inc.targetType } : {}),
    iterate: false,
  };
}

/** The parsed search a spec stands for. */
export function typedSearchRequest(spec: SearchSpec): SearchRequest {
  if (!isKnownResourceType(spec.type)) throw badRequest(`Unknown resource type ${spec.type}`);
  const sort: SortKey[] = (spec.sort ?? []).map((s) => ({
    param: param(spec.type, s.param),
    descending: s.descending ?? false,
    ...(s.end ? { end: true } : {}),
  }));
  return {
    resourceType: spec.type,
    filters: (spec.where ?? []).map((c) => filterOf(spec.type, c)),
    sort,
    count: Math.min(Math.max(spec.count ?? DEFAULT_TYPED_COUNT, 1), MAX_COUNT),
    ...(spec.offset ? { offset: spec.offset } : {}),
    summaryCount: spec.countOnly ?? false,
    totalAccurate: false,
    include: (spec.include ?? []).map((i) => includeOf(spec.type, i)),
    revinclude: [],
    ignored: [],
    linkParams: [],
  };
}

/** A readable form of a spec for the audit trail (JSON: values stay unambiguous). */
export function describeSpec(spec: SearchSpec): string {
  return `${spec.type}?${JSON.stringify(spec.where ?? [])}`;
}
