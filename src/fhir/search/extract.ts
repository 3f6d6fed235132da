import { evalFhirPathTyped, toTypedValue, type TypedValue } from '@medplum/core';
import type {
  Address,
  CodeableConcept,
  Coding,
  ContactPoint,
  HumanName,
  Identifier,
  Period,
  Quantity,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { compositeKey } from './composite.ts';
import { paramsFor, type CompositeValueType, type ParamDef } from './definitions.ts';
import { dateRange, NEG_INFINITY, normalizeString, parseReference, POS_INFINITY } from './normalize.ts';

export interface TokenRow {
  param: string;
  system: string | null;
  code: string | null;
  /** Normalised display text (CodeableConcept.text, Coding.display, Identifier.type.text) for :text. */
  text: string | null;
}
export interface StringRow {
  param: string;
  norm: string;
  exact: string;
}
export interface DateRow {
  param: string;
  low: string;
  high: string;
}
export interface ReferenceRow {
  param: string;
  targetType: string | null;
  targetId: string;
}
export interface NumberRow {
  param: string;
  value: number;
  system: string | null;
  unit: string | null;
}

/** The index rows of one resource, one list per index table. */
export interface SearchRows {
  token: TokenRow[];
  string: StringRow[];
  date: DateRow[];
  reference: ReferenceRow[];
  number: NumberRow[];
}

/**
 * Index values for every supported search parameter of the resource's type. Plain member paths
 * are walked directly (see member-path.ts); `fhirPathOnly` evaluates every expression with
 * FHIRPath, the reference the walk is tested against.
 */
export function extractSearchRows(resource: Resource, options: { fhirPathOnly?: boolean } = {}): SearchRows {
  const rows: SearchRows = { token: [], string: [], date: [], reference: [], number: [] };
  const present = presentRoots(resource);
  let input: TypedValue[] | undefined;
  for (const def of paramsFor(resource.resourceType).values()) {
    if (def.column || def.indexedAs || (def.roots && !def.roots.some((r) => present.has(r)))) continue;
    if (def.composite) {
      const parts = def.composite;
      const bases = () => evalFhirPathTyped(def.expression, (input ??= [toTypedValue(resource)]));
      try {
        for (const element of compositeElements(parts, bases, resource, !!options.fhirPathOnly))
          addCompositeRows(rows, def.code, parts.valueType, element);
      } catch {
        // As below: unusual data indexes nothing rather than refusing the write.
      }
      continue;
    }
    let values: TypedValue[];
    try {
      values =
        def.memberPath && !options.fhirPathOnly
          ? def.memberPath(resource)
          : evalFhirPathTyped(def.expression, (input ??= [toTypedValue(resource)]));
    } catch {
      // An expression that fails on unusual data indexes nothing rather than refusing the write.
      continue;
    }
    if (values.length > 0) addRows(rows, def, values);
  }
  return dedupe(rows);
}

/**
 * The resource's top-level property names, and for a choice property (`valueQuantity`) also
 * its element name (`value`): the roots an expression can start from.
 */
function presentRoots(resource: Resource): Set<string> {
  const present = new Set<string>();
  for (const key of Object.keys(resource)) {
    present.add(key);
    for (let i = 1; i < key.length; i++) {
      const ch = key.charCodeAt(i);
      if (ch >= 65 && ch <= 90) present.add(key.slice(0, i));
    }
  }
  return present;
}

function addRows(
  rows: SearchRows,
  def: Pick<ParamDef, 'code' | 'type' | 'impliedSystem'>,
  values: TypedValue[],
): void {
  const param = def.code;
  for (const tv of values) {
    switch (def.type) {
      case 'composite':
        break; // extracted per element by extractSearchRows
      case 'token':
        rows.token.push(...tokens(tv, def.impliedSystem).map((t) => ({ param, ...t })));
        rows.token.push(...identifierTypes(tv).map((t) => ({ param: ofTypeParamCode(param), ...t })));
        break;
      case 'uri':
        if (typeof tv.value === 'string')
          rows.token.push({ param, system: null, code: tv.value, text: null });
        break;
      case 'string':
        rows.string.push(...strings(tv).map((exact) => ({ param, norm: normalizeString(exact), exact })));
        break;
      case 'date':
        rows.date.push(...dates(tv).map((r) => ({ param, ...r })));
        break;
      case 'reference':
        rows.reference.push(...references(tv).map((r) => ({ param, ...r })));
        rows.token.push(
          ...referenceIdentifiers(tv).map((t) => ({ param: identifierParamCode(param), ...t })),
        );
        break;
      case 'number':
      case 'quantity':
        rows.number.push(...numbers(tv).map((n) => ({ param, ...n })));
        break;
    }
  }
}

/**
 * One element of a composite (an Observation, one of its components, a useContext): its second
 * part's rows, stored once under each code of its first part (`code-value-quantity$<system>|<code>`),
 * so a search for a code and a value finds them only on the same element.
 */
function addCompositeRows(
  rows: SearchRows,
  code: string,
  valueType: CompositeValueType,
  element: { keys: TypedValue[]; values: TypedValue[] },
): void {
  const keys = element.keys.flatMap((tv) => tokens(tv)).filter((t) => t.code !== null);
  if (keys.length === 0) return;
  for (const key of keys)
    addRows(rows, { code: compositeKey(code, key.system, key.code ?? ''), type: valueType }, element.values);
}

/** A composite's elements and their parts: walked over the JSON, or by FHIRPath (the reference). */
function compositeElements(
  parts: NonNullable<ParamDef['composite']>,
  bases: () => TypedValue[],
  resource: Resource,
  fhirPathOnly: boolean,
): Array<{ keys: TypedValue[]; values: TypedValue[] }> {
  if (parts.walk && !fhirPathOnly) return parts.walk(resource);
  // The walk keeps only the `as(Type)` choices; Medplum's `as` lets the others through.
  const named = (tv: TypedValue) =>
    parts.valueAs.length === 0 || parts.valueAs.includes(tv.type.toLowerCase());
  return bases().map((element) => ({
    keys: evalFhirPathTyped(parts.key, [element]),
    values: evalFhirPathTyped(parts.value, [element]).filter(named),
  }));
}

type Token = Omit<TokenRow, 'param'>;

const textOf = (s: string | undefined): string | null => (s ? normalizeString(s) : null);

/** A coding's token; its text is its display and the concept's own text, both searched by `:text`. */
function codingToken(coding: Coding, conceptText?: string): Token | undefined {
  if (!coding.code && !coding.system) return undefined;
  const texts = [coding.display, conceptText].filter((t): t is string => !!t);
  return {
    system: coding.system ?? null,
    code: coding.code ?? null,
    text: textOf([...new Set(texts)].join(' ')),
  };
}

/** `impliedSystem`: the system of a bare code's required binding (see ParamDef). */
function tokens(tv: TypedValue, impliedSystem?: string): Token[] {
  const { type } = tv;
  const value: unknown = tv.value;
  if (value === undefined || value === null) return [];
  switch (type) {
    case 'Identifier': {
      const id = value as Identifier;
      return id.value || id.system
        ? [{ system: id.system ?? null, code: id.value ?? null, text: textOf(id.type?.text) }]
        : [];
    }
    case 'CodeableConcept': {
      const cc = value as CodeableConcept;
      const list = (cc.coding ?? []).map((c) => codingToken(c, cc.text)).filter((t): t is Token => !!t);
      if (list.length === 0 && cc.text) list.push({ system: null, code: null, text: textOf(cc.text) });
      return list;
    }
    case 'Coding': {
      const t = codingToken(value);
      return t ? [t] : [];
    }
    case 'ContactPoint': {
      const cp = value as ContactPoint;
      return cp.value ? [{ system: cp.system ?? null, code: cp.value, text: null }] : [];
    }
    default:
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? [
            {
              system: typeof value === 'string' ? (impliedSystem ?? null) : null,
              code: String(value),
              text: null,
            },
          ]
        : [];
  }
}

function strings(tv: TypedValue): string[] {
  const { type } = tv;
  const value: unknown = tv.value;
  if (value === undefined || value === null) return [];
  switch (type) {
    case 'HumanName': {
      const n = value as HumanName;
      return [n.text, n.family, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? [])].filter(isText);
    }
    case 'Address': {
      const a = value as Address;
      return [a.text, ...(a.line ?? []), a.city, a.district, a.state, a.postalCode, a.country].filter(isText);
    }
    case 'CodeableConcept': {
      const cc = value as CodeableConcept;
      return [cc.text, ...(cc.coding ?? []).map((c) => c.display)].filter(isText);
    }
    case 'Coding':
      return [(value as Coding).display].filter(isText);
    case 'Identifier':
      return [(value as Identifier).value].filter(isText);
    case 'ContactPoint':
      return [(value as ContactPoint).value].filter(isText);
    case 'Reference':
      return [(value as Reference).display].filter(isText);
    default:
      return typeof value === 'string' && value ? [value] : [];
  }
}

function isText(s: string | undefined): s is string {
  return typeof s === 'string' && s.trim().length > 0;
}

function dates(tv: TypedValue): Array<{ low: string; high: string }> {
  const value: unknown = tv.value;
  if (typeof value === 'string') {
    const range = dateRange(value);
    return range ? [range] : [];
  }
  if (value && typeof value === 'object') {
    const period = value as Period & { event?: string[] };
    if (Array.isArray(period.event))
      return period.event.flatMap((e) => dates({ type: 'dateTime', value: e }));
    if (period.start || period.end) {
      const start = period.start ? dateRange(period.start) : undefined;
      const end = period.end ? dateRange(period.end) : undefined;
      return [{ low: start?.low ?? NEG_INFINITY, high: end?.high ?? POS_INFINITY }];
    }
  }
  return [];
}

function references(tv: TypedValue): Array<{ targetType: string | null; targetId: string }> {
  const value: unknown = tv.value;
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (value && typeof value === 'object') {
    const obj = value as Reference & { resourceType?: string; id?: string };
    text = obj.reference ?? (obj.resourceType && obj.id ? `${obj.resourceType}/${obj.id}` : undefined);
  }
  const target = text ? parseReference(text) : undefined;
  return target ? [{ targetType: target.type, targetId: target.id }] : [];
}

/**
 * A reference by business identifier (`{ identifier: { system, value } }`, as AuditEvent.agent.who
 * names a user) is kept as a token under `<param>:identifier`, for the `:identifier` modifier.
 */
export const identifierParamCode = (code: string): string => `${code}:identifier`;

/**
 * An identifier's type with its value (`MR` and `12345`) is kept as a token under
 * `<param>:of-type`, system the type's, code `<type code>|<value>`, for the `:of-type` modifier.
 */
export const ofTypeParamCode = (code: string): string => `${code}:of-type`;

function identifierTypes(tv: TypedValue): Token[] {
  if (tv.type !== 'Identifier') return [];
  const id = tv.value as Identifier;
  if (!id.value) return [];
  return (id.type?.coding ?? [])
    .filter((c) => c.system && c.code)
    .map((c) => ({ system: c.system ?? null, code: `${c.code ?? ''}|${id.value ?? ''}`, text: null }));
}

function referenceIdentifiers(tv: TypedValue): Token[] {
  const id = (tv.value as Reference | undefined)?.identifier;
  return id && typeof tv.value === 'object' && (id.value || id.system)
    ? [{ system: id.system ?? null, code: id.value ?? null, text: null }]
    : [];
}

function numbers(tv: TypedValue): Array<{ value: number; system: string | null; unit: string | null }> {
  const { type } = tv;
  const value: unknown = tv.value;
  if (typeof value === 'number') return [{ value, system: null, unit: null }];
  if (!value || typeof value !== 'object') return [];
  if (type === 'Range') {
    const r = value as { low?: Quantity; high?: Quantity };
    return [r.low, r.high].flatMap((q) => (q ? numbers({ type: 'Quantity', value: q }) : []));
  }
  const q = value as Quantity;
  if (typeof q.value !== 'number') return [];
  return [{ value: q.value, system: q.system ?? null, unit: q.code ?? q.unit ?? null }];
}

function dedupe(rows: SearchRows): SearchRows {
  return {
    token: unique(rows.token, (r) => [r.param, r.system, r.code, r.text]),
    string: unique(rows.string, (r) => [r.param, r.norm, r.exact]),
    date: unique(rows.date, (r) => [r.param, r.low, r.high]),
    reference: unique(rows.reference, (r) => [r.param, r.targetType, r.targetId]),
    number: unique(rows.number, (r) => [r.param, r.value, r.system, r.unit]),
  };
}

/** Rows without repeats; most lists hold one or two rows, so no key is built for those. */
function unique<T>(list: T[], fields: (row: T) => Array<string | number | null>): T[] {
  if (list.length < 2) return list;
  const seen = new Set<string>();
  return list.filter((row) => {
    const key = fields(row)
      .map((v) => (v === null ? '\u0002' : String(v)))
      .join('\u0001');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
