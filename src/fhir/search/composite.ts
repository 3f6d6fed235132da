import { badRequest } from '../outcomes.ts';
import type { CompositeValueType, ParamDef } from './definitions.ts';
import { likeLiteral, normalizeString } from './normalize.ts';
import {
  parseDateValue,
  parseNumberValue,
  parseTokenValue,
  splitUnescaped,
  unescape,
} from './parse-values.ts';
import type { CompositeValue, Filter, TokenValue } from './types.ts';

/**
 * Composite parameters (`code-value-quantity=http://loinc.org|8480-6$gt140`): the rows of the
 * second part are stored under a param name that carries the first part's code, one row per
 * element the composite's expression yields. Searching is then a plain index lookup of the
 * second part under that name, and code and value always come from the same element: a blood
 * pressure's systolic code never pairs with its diastolic value.
 */

/** The param name a composite's value rows are stored under for one code of its first part. */
export function compositeKey(code: string, system: string | null | undefined, value: string): string {
  return `${code}$${system ?? ''}|${value}`;
}

/** Which stored param names a searched first part matches: exact names, or LIKE patterns. */
export interface CompositeKeyMatch {
  names: string[];
  patterns: string[];
}

/**
 * `system|code` and `|code` name one stored key per stored code; a bare `code` (any system) and
 * `system|` (any code) match by pattern.
 */
export function compositeKeyMatch(codes: string[], key: TokenValue): CompositeKeyMatch {
  if (key.system !== undefined && key.code !== undefined)
    return { names: codes.map((c) => compositeKey(c, key.system, key.code as string)), patterns: [] };
  const pattern = (c: string) =>
    key.code === undefined
      ? `${likeLiteral(compositeKey(c, key.system, ''))}%`
      : `${likeLiteral(`${c}$`)}%|${likeLiteral(key.code)}`;
  return { names: [], patterns: codes.map(pattern) };
}

function parseValue(code: string, type: CompositeValueType, raw: string): CompositeValue {
  switch (type) {
    case 'token':
      return { type: 'token', value: parseTokenValue(code, raw) };
    case 'quantity':
    case 'number':
      return { type: 'number', value: parseNumberValue(code, raw) };
    case 'date':
      return { type: 'date', value: parseDateValue(code, raw) };
    case 'string':
      return { type: 'string', value: normalizeString(unescape(raw)) };
  }
}

/** Parses the comma-separated `first$second` pairs of a composite parameter. */
export function parseComposite(param: ParamDef, values: string[]): Filter {
  const parts = param.composite;
  if (!parts) throw new Error(`${param.code} is not a composite parameter`);
  const pairs = values.map((raw) => {
    const split = splitUnescaped(raw, '$');
    if (!split || !split[0] || !split[1])
      throw badRequest(
        `${param.code} takes a pair separated by '$', for example http://loinc.org|8480-6$gt140, not '${raw}'`,
      );
    return {
      key: parseTokenValue(param.code, split[0]),
      value: parseValue(param.code, parts.valueType, split[1]),
    };
  });
  return { kind: 'composite', param, pairs };
}
