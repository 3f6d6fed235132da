import { badRequest } from '../outcomes.ts';
import { isKnownResourceType, paramFor, paramsFor, storedAs, type ParamDef } from './definitions.ts';
import { parseComposite } from './composite.ts';
import { identifierParamCode, ofTypeParamCode } from './extract.ts';
import { assertSearchSize, ConditionBudget } from './limits.ts';
import { parseControl, CONTROL_PARAMS, type Controls, emptyControls } from './parse-controls.ts';
import {
  parseDateValue,
  parseNumberValue,
  parseReferenceValue,
  parseTokenValue,
  splitUnescaped,
  splitValues,
  unescape,
} from './parse-values.ts';
import { normalizeString } from './normalize.ts';
import type { Filter, SearchRequest, TokenValue } from './types.ts';

/** A parameter or modifier this server does not support: ignorable in lenient mode. */
class Unsupported extends Error {}

export interface ParseOptions {
  lenient: boolean;
}

/**
 * Turns a FHIR search query string into a SearchRequest. Unknown parameters and modifiers are
 * 400 errors (strict) or ignored and listed in `ignored` (lenient, `Prefer: handling=lenient`);
 * malformed values are always 400 errors. A search beyond the limits of limits.ts is a 400 too,
 * found by counting before anything is parsed (and, for chains, while they are expanded).
 */
export function parseSearch(
  resourceType: string,
  query: URLSearchParams,
  options: ParseOptions,
): SearchRequest {
  if (!isKnownResourceType(resourceType)) throw badRequest(`Unknown resource type ${resourceType}`);
  assertSearchSize(query, (name) => CONTROL_PARAMS.has(name));
  const budget = new ConditionBudget();
  const filters: Filter[] = [];
  const controls: Controls = emptyControls();
  const ignored: string[] = [];
  const linkParams: Array<[string, string]> = [];
  for (const [key, value] of query) {
    try {
      if (CONTROL_PARAMS.has(key.split(':')[0] ?? key)) parseControl(resourceType, key, value, controls);
      else filters.push(parseFilter(resourceType, key, value, budget));
      if (key !== '_cursor') linkParams.push([key, value]);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      if (!options.lenient) throw badRequest(err.message, [key]);
      ignored.push(key);
    }
  }
  const { cursor, ...rest } = controls;
  if (cursor && cursor.values.length !== rest.sort.length)
    throw badRequest('The _cursor does not match _sort');
  return { resourceType, filters, ...rest, ...(cursor ? { cursor } : {}), ignored, linkParams };
}

/**
 * Parses `code[:modifier][.chained...]=value` against the resource type's parameters, spending
 * the conditions it expands to from `budget`.
 */
function parseFilter(resourceType: string, key: string, raw: string, budget: ConditionBudget): Filter {
  if (key.startsWith('_has:')) return parseHas(resourceType, key, raw, budget);
  const dot = key.indexOf('.');
  if (dot > 0) return parseChain(resourceType, key.slice(0, dot), key.slice(dot + 1), raw, budget);
  const [code = '', modifier] = key.split(':', 2);
  const param = paramFor(resourceType, code);
  if (!param) throw new Unsupported(`Unknown search parameter '${code}' for ${resourceType}`);
  if (modifier === 'missing' && param.type !== 'composite') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`:missing takes true or false, not '${raw}'`);
    budget.spend(1);
    return { kind: 'missing', param, missing: raw === 'true' };
  }
  if (raw === '') throw badRequest(`Empty value for ${key}`);
  const values = splitValues(raw);
  budget.spend(values.length);
  switch (param.type) {
    case 'token':
      return tokenFilter(param, modifier, values);
    case 'string':
      if (modifier !== undefined && modifier !== 'exact' && modifier !== 'contains') throw unsupported(key);
      return {
        kind: 'string',
        param,
        modifier: modifier ?? 'none',
        values: values.map((v) => (modifier === 'exact' ? unescape(v) : normalizeString(unescape(v)))),
      };
    case 'uri':
      if (modifier !== undefined && modifier !== 'below' && modifier !== 'above') throw unsupported(key);
      return { kind: 'uri', param, modifier: modifier ?? 'none', values: values.map(unescape) };
    case 'date':
      if (modifier !== undefined) throw unsupported(key);
      return { kind: 'date', param, values: values.map((v) => parseDateValue(code, v)) };
    case 'number':
    case 'quantity':
      if (modifier !== undefined) throw unsupported(key);
      return { kind: 'number', param, values: values.map((v) => parseNumberValue(code, v)) };
    case 'reference': {
      if (modifier === 'identifier') return byReferenceIdentifier(param, values);
      if (modifier !== undefined && !param.targets.includes(modifier)) throw unsupported(key);
      return { kind: 'reference', param, values: values.map((v) => parseReferenceValue(code, v, modifier)) };
    }
    case 'composite':
      if (modifier !== undefined) throw unsupported(key);
      return parseComposite(param, values);
  }
}

function unsupported(key: string): Unsupported {
  return new Unsupported(`Unsupported modifier in '${key}'`);
}

function tokenFilter(param: ParamDef, modifier: string | undefined, values: string[]): Filter {
  if (modifier === 'text') {
    return {
      kind: 'token',
      param,
      modifier: 'text',
      values: [],
      texts: values.map((v) => normalizeString(unescape(v))),
    };
  }
  if (modifier === 'below' || modifier === 'above') return tokenHierarchy(param, modifier, values);
  if (modifier === 'of-type') return identifierOfType(param, values);
  if (modifier === 'in' || modifier === 'not-in') {
    if (param.column) throw unsupported(`${param.code}:${modifier}`);
    const urls = values.map((v) => unescape(v).trim());
    if (urls.some((u) => !u)) throw badRequest(`${param.code}:${modifier} needs the url of a ValueSet`);
    return { kind: 'valueSet', param, negate: modifier === 'not-in', urls };
  }
  if (modifier !== undefined && modifier !== 'not') throw unsupported(`${param.code}:${modifier}`);
  if (param.column && modifier) throw unsupported(`${param.code}:${modifier}`);
  return {
    kind: 'token',
    param,
    modifier: modifier ?? 'none',
    values: values.map((v) => parseTokenValue(param.code, v)),
    texts: [],
  };
}

/** `subject:Patient.name=x`, `patient.name=x`: the chained part is parsed against each target type. */
function parseChain(
  resourceType: string,
  head: string,
  rest: string,
  raw: string,
  budget: ConditionBudget,
): Filter {
  const [code = '', typeModifier] = head.split(':', 2);
  const param = paramFor(resourceType, code);
  if (!param) throw new Unsupported(`Unknown search parameter '${code}' for ${resourceType}`);
  if (param.type !== 'reference') throw badRequest(`Cannot chain on '${code}': not a reference parameter`);
  if (typeModifier && !param.targets.includes(typeModifier)) throw unsupported(head);
  const chainedCode = rest.split(/[:.]/, 1)[0] ?? '';
  const candidates = typeModifier
    ? [typeModifier]
    : param.targets.filter((t) => paramsFor(t).has(chainedCode));
  if (candidates.length === 0)
    throw new Unsupported(`No target of '${code}' has a parameter '${chainedCode}'`);
  // Each target type is a condition of its own (its type and visibility) before its filter.
  budget.spend(candidates.length);
  const targets = candidates.map((type) => ({ type, filter: parseFilter(type, rest, raw, budget) }));
  return { kind: 'chain', param, targets };
}

/**
 * Reverse chaining, `_has:<Type>:<reference parameter>:<parameter of Type>=value`: the inner
 * part may be any filter of Type, another `_has` included.
 */
function parseHas(resourceType: string, key: string, raw: string, budget: ConditionBudget): Filter {
  const [, sourceType = '', code = '', ...rest] = key.split(':');
  const inner = rest.join(':');
  if (!sourceType || !code || !inner)
    throw badRequest(`_has needs _has:Type:reference-parameter:parameter, not '${key}'`);
  if (!isKnownResourceType(sourceType)) throw badRequest(`Unknown resource type '${sourceType}' in '${key}'`);
  const param = paramFor(sourceType, code);
  if (!param) throw new Unsupported(`Unknown search parameter '${code}' for ${sourceType}`);
  if (param.type !== 'reference' || !param.targets.includes(resourceType))
    throw badRequest(`${sourceType}.${code} does not refer to ${resourceType}, so '${key}' cannot match`);
  budget.spend(1);
  return {
    kind: 'has',
    param,
    targetType: resourceType,
    filter: parseFilter(sourceType, inner, raw, budget),
  };
}

/** `subject:identifier=system|value`: references that name their target by business identifier. */
function byReferenceIdentifier(param: ParamDef, values: string[]): Filter {
  const stored = storedAs(param);
  const asToken: ParamDef = {
    ...param,
    code: identifierParamCode(param.code),
    type: 'token',
    indexedAs: { codes: stored.codes.map(identifierParamCode) },
  };
  return {
    kind: 'token',
    param: asToken,
    modifier: 'none',
    values: values.map((v) => parseTokenValue(param.code, v)),
    texts: [],
  };
}

/**
 * `identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|12345`: identifiers of
 * that type with that value, matched on the rows kept under `<param>:of-type` (extract.ts).
 */
function identifierOfType(param: ParamDef, values: string[]): Filter {
  if (param.column) throw unsupported(`${param.code}:of-type`);
  const asToken: ParamDef = {
    ...param,
    code: ofTypeParamCode(param.code),
    indexedAs: { codes: storedAs(param).codes.map(ofTypeParamCode) },
  };
  return {
    kind: 'token',
    param: asToken,
    modifier: 'none',
    values: values.map((v) => ofTypeValue(param.code, v)),
    texts: [],
  };
}

function ofTypeValue(code: string, raw: string): TokenValue {
  const first = splitUnescaped(raw, '|');
  const rest = first ? splitUnescaped(first[1], '|') : undefined;
  if (!first?.[0] || !rest?.[0] || !rest[1])
    throw badRequest(
      `${code}:of-type takes system|code|value, for example http://terminology.hl7.org/CodeSystem/v2-0203|MR|12345`,
    );
  return { system: unescape(first[0]), code: `${unescape(rest[0])}|${unescape(rest[1])}` };
}

/**
 * Code systems whose hierarchy is the code's prefix: every ICD-10-CM code under E11 starts with
 * E11, every ICD-10-PCS code under 0DT starts with 0DT. `:below` is offered for these only; for
 * others (SNOMED CT, LOINC) a prefix says nothing about the hierarchy.
 */
export const PREFIX_HIERARCHIES: ReadonlySet<string> = new Set([
  'http://hl7.org/fhir/sid/icd-10-cm',
  'http://hl7.org/fhir/sid/icd-10',
  'http://www.cms.gov/Medicare/Coding/ICD10',
]);

/**
 * `code:below=http://hl7.org/fhir/sid/icd-10-cm|E11`: the code and every code beneath it;
 * `code:above=...|E11.65`: the code and every code above it (E11.6, E11).
 */
function tokenHierarchy(param: ParamDef, modifier: 'below' | 'above', values: string[]): Filter {
  if (param.column) throw unsupported(`${param.code}:${modifier}`);
  const tokens = values.map((v) => parseTokenValue(param.code, v));
  for (const t of tokens) {
    if (!t.system || !t.code)
      throw badRequest(
        `${param.code}:${modifier} needs system|code, for example http://hl7.org/fhir/sid/icd-10-cm|E11`,
      );
    if (!PREFIX_HIERARCHIES.has(t.system))
      throw badRequest(
        `${param.code}:${modifier} is supported for ICD-10-CM and ICD-10-PCS, whose codes nest by prefix; not for ${t.system}`,
      );
  }
  return { kind: 'token', param, modifier, values: tokens, texts: [] };
}
