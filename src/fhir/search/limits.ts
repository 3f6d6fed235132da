import { OutcomeError } from '../outcomes.ts';
import { splitValues } from './parse-values.ts';

/**
 * What one search may ask for. A search is one SQL statement, and PostgreSQL's planning time
 * grows much faster than its conditions (AND-ed string parameters on PostgreSQL 15, empty store:
 * 20 ~0.2-0.4 s, 50 ~0.6 s, 100 ~3 s, 200 ~28 s, nearly all of it planning; PGlite alike). On
 * PGlite the statement runs on the event loop every other request waits on, and no statement
 * timeout can stop it (src/db/README.md): these caps are the whole budget there. The costliest
 * searches they let through (20 AND-ed strings; 18 untyped chains such as `performer.name`, 144
 * conditions) take 0.1-0.5 s once warm on a busy 2-core machine. Each cap is far above what a
 * client writes by hand or an app generates; beyond one, the search is 400 (`too-costly`)
 * naming the limit, refused after counting, before the database is touched.
 */

/** Filter parameters in one search (repeated ones count each time; `_count`, `_sort`... don't). */
export const MAX_SEARCH_PARAMETERS = 20;
/** Values across all filter parameters, each of a comma-separated OR counting once. */
export const MAX_SEARCH_VALUES = 100;
/**
 * Conditions once chains are expanded: a chain without a type modifier is one condition per
 * possible target type (`Provenance?target._id=x` looks through 144), times the values below it.
 */
export const MAX_SEARCH_CONDITIONS = 150;
/** Reference hops in one parameter, chained (`.`) and reverse-chained (`_has:`) together. */
export const MAX_CHAIN_DEPTH = 4;
/** Reference parameters `_include` and `_revinclude` follow together (`Type:*` counts each of Type's). */
export const MAX_INCLUDES = 30;
/** Keys in `_sort` (each is a correlated subquery per candidate row, and the keyset grows with their square). */
export const MAX_SORT_KEYS = 5;
/** Characters of all names and values together: as much as Node lets a GET request line carry. */
export const MAX_SEARCH_QUERY_LENGTH = 16_384;

/** The stable codes of the limits, in `OperationOutcome.issue.details.coding` (system below). */
export const SEARCH_LIMIT_SYSTEM = 'urn:custodian:search-limit';
export type SearchLimit =
  'parameters' | 'values' | 'conditions' | 'chain-depth' | 'includes' | 'sort-keys' | 'query-length';

/** The limits as the CapabilityStatement states them to clients. */
export const SEARCH_LIMITS_DOCUMENTATION =
  `Search limits (400 OperationOutcome, issue code too-costly, details coded in ${SEARCH_LIMIT_SYSTEM}, beyond): ` +
  `at most ${MAX_SEARCH_PARAMETERS} filter parameters (parameters), ${MAX_SEARCH_VALUES} values across them ` +
  `(values), ${MAX_SEARCH_CONDITIONS} conditions once chains are expanded over their target types (conditions), ` +
  `${MAX_CHAIN_DEPTH} chained or _has links in one parameter (chain-depth), ${MAX_INCLUDES} reference ` +
  `parameters followed by _include and _revinclude (includes), ${MAX_SORT_KEYS} _sort keys (sort-keys), ` +
  `${MAX_SEARCH_QUERY_LENGTH} characters of names and values (query-length).`;

export function limitExceeded(limit: SearchLimit, message: string, expression?: string[]): OutcomeError {
  return new OutcomeError(400, {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: 'too-costly',
        details: { coding: [{ system: SEARCH_LIMIT_SYSTEM, code: limit }], text: limit },
        diagnostics: message,
        ...(expression ? { expression } : {}),
      },
    ],
  });
}

/**
 * The size of a search from its query alone: length, filter parameters, values and chain depth,
 * counted without parsing, so that an oversized search costs next to nothing to refuse.
 * `isControl` tells result parameters (`_count`, `_include`...) from filters.
 */
export function assertSearchSize(query: URLSearchParams, isControl: (name: string) => boolean): void {
  let length = 0;
  let parameters = 0;
  let values = 0;
  for (const [key, value] of query) {
    length += key.length + value.length + 1;
    if (length > MAX_SEARCH_QUERY_LENGTH)
      throw limitExceeded(
        'query-length',
        `The search is longer than ${MAX_SEARCH_QUERY_LENGTH} characters (names and values); split it into several`,
      );
    if (isControl(key.split(':')[0] ?? key)) continue;
    parameters++;
    if (parameters > MAX_SEARCH_PARAMETERS)
      throw limitExceeded(
        'parameters',
        `A search takes at most ${MAX_SEARCH_PARAMETERS} filter parameters; this one has ${countFilters(query, isControl)}`,
      );
    const depth = chainDepth(key);
    if (depth > MAX_CHAIN_DEPTH)
      throw limitExceeded(
        'chain-depth',
        `'${key}' follows ${depth} references; a parameter may chain (.) and reverse-chain (_has:) at most ${MAX_CHAIN_DEPTH}`,
        [key],
      );
    values += value === '' ? 1 : splitValues(value).length;
    if (values > MAX_SEARCH_VALUES)
      throw limitExceeded(
        'values',
        `A search takes at most ${MAX_SEARCH_VALUES} values across its parameters (each of a comma-separated list counts)`,
      );
  }
}

function countFilters(query: URLSearchParams, isControl: (name: string) => boolean): number {
  let n = 0;
  for (const key of query.keys()) if (!isControl(key.split(':')[0] ?? key)) n++;
  return n;
}

/** Reference hops a parameter name asks for: `subject:Patient.organization.name` 2, `_has:A:b:_has:C:d:e` 2. */
export function chainDepth(key: string): number {
  let depth = 0;
  for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) depth++;
  for (let i = key.indexOf('_has:'); i >= 0; i = key.indexOf('_has:', i + 1)) depth++;
  return depth;
}

/**
 * Counts the conditions a search expands to while it is parsed, so that a chain over many
 * target types stops before its expansion is built rather than after.
 */
export class ConditionBudget {
  private used = 0;
  spend(n: number): void {
    this.used += n;
    if (this.used > MAX_SEARCH_CONDITIONS)
      throw limitExceeded(
        'conditions',
        `The search expands to more than ${MAX_SEARCH_CONDITIONS} conditions: a chain without a type looks ` +
          `through every type its reference may name (name one, as in subject:Patient.name), times its values`,
      );
  }
}
