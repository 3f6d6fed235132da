import { badRequest } from '../outcomes.ts';
import { isSummaryMode } from '../summary.ts';
import { isKnownResourceType, paramFor, paramsFor } from './definitions.ts';
import { decodeCursor } from './cursor.ts';
import { splitValues } from './parse-values.ts';
import { SEARCH_RESULT_PARAMS } from './capabilities.ts';
import { limitExceeded, MAX_INCLUDES, MAX_SORT_KEYS } from './limits.ts';
import { DEFAULT_COUNT, MAX_COUNT, type IncludeSpec, type SearchRequest, type SortKey } from './types.ts';

/** Result parameters (not filters): paging, sorting, includes, summary; format ones are accepted and ignored. */
export const CONTROL_PARAMS: ReadonlySet<string> = new Set([...SEARCH_RESULT_PARAMS, '_format', '_pretty']);

/** The result-control part of a search request. */
export type Controls = Pick<
  SearchRequest,
  | 'sort'
  | 'count'
  | 'cursor'
  | 'summaryCount'
  | 'summary'
  | 'totalAccurate'
  | 'include'
  | 'revinclude'
  | 'elements'
>;

export function emptyControls(): Controls {
  return {
    sort: [],
    count: DEFAULT_COUNT,
    summaryCount: false,
    totalAccurate: false,
    include: [],
    revinclude: [],
  };
}

const SORTABLE = new Set(['string', 'date', 'token', 'number', 'quantity', 'reference', 'uri']);

export function parseControl(resourceType: string, key: string, value: string, controls: Controls): void {
  const [name = '', modifier] = key.split(':', 2);
  if (
    modifier !== undefined &&
    !((name === '_include' || name === '_revinclude') && modifier === 'iterate')
  ) {
    throw badRequest(`Unsupported modifier in '${key}'`);
  }
  switch (name) {
    case '_count': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw badRequest(`_count must be a whole number, not '${value}'`);
      controls.count = Math.min(n, MAX_COUNT);
      if (n === 0) controls.summaryCount = true;
      return;
    }
    case '_sort':
      controls.sort = parseSort(resourceType, value);
      return;
    case '_summary':
      controls.summaryCount = value === 'count';
      if (isSummaryMode(value)) controls.summary = value;
      else if (value !== 'count') throw badRequest(`Invalid _summary '${value}'`);
      return;
    case '_total':
      if (!['none', 'estimate', 'accurate'].includes(value)) throw badRequest(`Invalid _total '${value}'`);
      controls.totalAccurate = value === 'accurate';
      return;
    case '_include': {
      const specs = parseInclude(value, modifier === 'iterate', false);
      // Without :iterate an include starts from the matches, which are all of the searched type.
      if (modifier !== 'iterate' && specs.some((s) => s.sourceType !== resourceType))
        throw badRequest(
          `Invalid _include '${value}': a ${resourceType} search includes from ${resourceType} (or use _include:iterate)`,
        );
      controls.include.push(...specs);
      assertIncludeCount(controls);
      return;
    }
    case '_revinclude':
      controls.revinclude.push(...parseInclude(value, modifier === 'iterate', true));
      assertIncludeCount(controls);
      return;
    case '_elements':
      controls.elements = splitValues(value).filter(Boolean);
      return;
    case '_cursor':
      controls.cursor = decodeCursor(value);
      return;
    default:
      // _format and _pretty belong to the HTTP layer.
      return;
  }
}

/** Each included reference parameter is a query per round of `:iterate`. */
function assertIncludeCount(controls: Controls): void {
  const n = controls.include.length + controls.revinclude.length;
  if (n > MAX_INCLUDES)
    throw limitExceeded(
      'includes',
      `_include and _revinclude follow ${n} reference parameters here (Type:* counts each of Type's); at most ${MAX_INCLUDES}`,
    );
}

function parseSort(resourceType: string, value: string): SortKey[] {
  const items = splitValues(value).filter(Boolean);
  if (items.length > MAX_SORT_KEYS)
    throw limitExceeded('sort-keys', `_sort takes at most ${MAX_SORT_KEYS} keys, not ${items.length}`);
  return items.map((item) => {
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    const param = paramFor(resourceType, code);
    if (!param || !SORTABLE.has(param.type)) throw badRequest(`Cannot sort ${resourceType} by '${code}'`);
    return { param, descending };
  });
}

/** `Type:param`, `Type:param:Target` or `Type:*` (every reference parameter of Type). */
function parseInclude(value: string, iterate: boolean, reverse: boolean): IncludeSpec[] {
  const [sourceType = '', code = '', targetType, extra] = value.split(':');
  const what = reverse ? '_revinclude' : '_include';
  if (extra !== undefined || !isKnownResourceType(sourceType) || !code) {
    throw badRequest(`Invalid ${what} '${value}': expected Type:param[:Target]`);
  }
  const params =
    code === '*'
      ? [...paramsFor(sourceType).values()].filter((p) => p.type === 'reference')
      : [paramFor(sourceType, code)];
  return params.map((param) => {
    if (!param || param.type !== 'reference')
      throw badRequest(`Invalid ${what} '${value}': not a reference parameter`);
    if (targetType !== undefined && param.targets.length > 0 && !param.targets.includes(targetType)) {
      throw badRequest(`Invalid ${what} '${value}': ${param.code} cannot refer to ${targetType}`);
    }
    return { sourceType, param, ...(targetType ? { targetType } : {}), iterate };
  });
}
