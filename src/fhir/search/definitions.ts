import {
  getSearchParameterDetails,
  getSearchParameters,
  isResourceType,
  parseFhirPath,
  type FhirPathAtom,
  type InternalSchemaElement,
} from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.ts';
import { codeSystemOfValueSet } from '../required-codes.ts';
import {
  compileCompositeWalk,
  compileMemberPath,
  type CompositeWalk,
  type MemberPath,
} from './member-path.ts';

/**
 * The SearchParameter types this engine indexes and searches. Composites are those of two parts
 * whose first is a token (see composite.ts); special parameters are not indexed.
 */
export const INDEXED_PARAM_TYPES = [
  'token',
  'string',
  'date',
  'reference',
  'number',
  'quantity',
  'uri',
  'composite',
] as const;
export type IndexedParamType = (typeof INDEXED_PARAM_TYPES)[number];

/** The part types a composite's second component may have. */
export const COMPOSITE_VALUE_TYPES = ['token', 'quantity', 'number', 'date', 'string'] as const;
export type CompositeValueType = (typeof COMPOSITE_VALUE_TYPES)[number];

/**
 * A composite parameter's two parts, evaluated on each element its own expression yields (each
 * Observation.component, each useContext), so both parts of a match come from the same element.
 */
export interface CompositeParts {
  key: FhirPathAtom;
  value: FhirPathAtom;
  valueType: CompositeValueType;
  /**
   * The FHIR types the value part names with `as(Type)`, lower-cased (`value.as(Quantity)`):
   * Medplum's `as` lets other choices through, so FHIRPath extraction filters on these (the
   * walk filters by itself). Empty: any.
   */
  valueAs: string[];
  /** The parts' expressions as text: two composites are the same index only when these agree. */
  text: string;
  /** The same walk over the JSON when every expression is a plain member path (member-path.ts). */
  walk?: CompositeWalk;
}

/** Parameters answered from fhir_resource columns rather than from index rows. */
export const COLUMN_PARAMS = { _id: 'id', _lastUpdated: 'last_updated' } as const;
type ColumnParam = keyof typeof COLUMN_PARAMS;

/** The param names under which a parameter's rows are stored, and the target type it implies. */
export interface StoredAs {
  codes: string[];
  targetType?: string;
}

/** One search parameter of one resource type, ready to evaluate and to plan. */
export interface ParamDef {
  readonly resourceType: string;
  readonly code: string;
  readonly type: IndexedParamType;
  /** The FHIRPath expression narrowed to this resource type. */
  readonly expression: FhirPathAtom;
  /** The same expression compiled to a walk over the JSON, when it is a plain member path. */
  readonly memberPath?: MemberPath;
  /**
   * Top-level properties the expression starts from; when the resource has none of them the
   * expression cannot yield anything, so extraction skips it (most parameters, most of the time).
   * Undefined when the expression's roots could not be read.
   */
  readonly roots: readonly string[] | undefined;
  /** Allowed target types of a reference parameter. */
  readonly targets: readonly string[];
  /** Set for _id and _lastUpdated, which live in fhir_resource columns. */
  readonly column?: (typeof COLUMN_PARAMS)[ColumnParam];
  readonly description?: string;
  /**
   * Set when other parameters of the type index the same values: `phonetic` is `name`,
   * `patient` is `subject` restricted to Patient targets, `combo-code` is `code` plus
   * `component-code`. Such parameters get no index rows of
   * their own (fewer rows per write) and are searched through the other one's rows.
   */
  readonly indexedAs?: StoredAs;
  /** Set for composite parameters. */
  readonly composite?: CompositeParts;
  /**
   * A token on `code` elements with a required binding to one code system (Patient.gender,
   * Observation.status): the system its bare codes are indexed under.
   */
  readonly impliedSystem?: string;
  /**
   * A date parameter with at most one index row per record: its expression yields at most one
   * value (Medplum's reading of the element definitions: Encounter.period, Task.lastModified)
   * and that value is no Timing (whose events are a row each). Two criteria on it may then be
   * tested on the same row (plan.ts, `planFilters`).
   */
  readonly single?: boolean;
}

const cache = new Map<string, ReadonlyMap<string, ParamDef>>();

export function isKnownResourceType(resourceType: string): boolean {
  loadDefinitions();
  return isResourceType(resourceType) && getSearchParameters(resourceType) !== undefined;
}

/**
 * R4 parameters a type does not offer. Every answered read writes an AuditEvent before its data
 * leaves, so each index row of an AuditEvent is on the path of every read: the trail offers the
 * parameters its readers search by (patient, entity, agent and agent:identifier, agent-name,
 * subtype, action, type, outcome, date: the access report, the privacy reports, accounting of
 * disclosures, the oversight screens) and not these, which nothing here asks and which cost a
 * third of an event's index rows (the address a trigram-indexed string). The CapabilityStatement
 * leaves them out; a search naming one is refused (or ignored under handling=lenient) like any
 * unknown parameter, never answered wrongly. Their values stay in the documents. Rows older
 * versions wrote for them are never read again (no search can name them): no reindex is needed.
 */
const NOT_OFFERED: Readonly<Record<string, ReadonlySet<string>>> = {
  AuditEvent: new Set([
    'address',
    'agent-role',
    'altid',
    'entity-name',
    'entity-role',
    'entity-type',
    'policy',
    'site',
    'source',
  ]),
};

/** Every searchable parameter of a resource type, by code. Empty for unknown types. */
export function paramsFor(resourceType: string): ReadonlyMap<string, ParamDef> {
  const cached = cache.get(resourceType);
  if (cached) return cached;
  loadDefinitions();
  const result = new Map<string, ParamDef>();
  const notOffered = NOT_OFFERED[resourceType];
  for (const sp of Object.values(getSearchParameters(resourceType) ?? {})) {
    if (sp.code && notOffered?.has(sp.code)) continue;
    const def = toParamDef(resourceType, sp);
    if (def) result.set(def.code, def);
  }
  const aliased = withAliases(result);
  cache.set(resourceType, aliased);
  return aliased;
}

const RESOLVE_IS = /^(.*)\.where\(\(resolve\(\) is (\w+)\)\)$/;

/** Marks parameters whose values other parameters of the same type already index. */
function withAliases(params: Map<string, ParamDef>): Map<string, ParamDef> {
  const plain = [...params.values()].filter((d) => !d.column);
  const byExpression = new Map<string, ParamDef>();
  for (const def of plain) if (!byExpression.has(sameKey(def))) byExpression.set(sameKey(def), def);
  const result = new Map<string, ParamDef>();
  for (const [code, def] of params) {
    const alias = def.column ? undefined : findAlias(def, plain, byExpression);
    result.set(code, alias ? { ...def, indexedAs: alias } : def);
  }
  return result;
}

function findAlias(
  def: ParamDef,
  plain: ParamDef[],
  byExpression: Map<string, ParamDef>,
): StoredAs | undefined {
  const key = exprKey(def);
  const same = byExpression.get(sameKey(def));
  if (same && same !== def && same.type === def.type && sameParts(same, def)) return { codes: [same.code] };
  const narrowed = RESOLVE_IS.exec(key);
  const base = narrowed?.[1] ? byExpression.get(`${narrowed[1]}#`) : undefined;
  if (def.type === 'reference' && base?.type === 'reference' && narrowed?.[2]) {
    return { codes: [base.code], targetType: narrowed[2] };
  }
  // A union of other parameters' expressions (combo-code = code | component-code).
  const leaves = unionLeaves(key);
  if (leaves.length < 2) return undefined;
  if (def.type === 'reference') {
    const narrowedUnion = narrowedLeaves(leaves, byExpression);
    if (narrowedUnion) return narrowedUnion;
  }
  const parts = plain.filter((other) => {
    if (other === def || other.type !== def.type || !sameParts(other, def) || exprKey(other) === key)
      return false;
    const otherLeaves = unionLeaves(exprKey(other));
    return otherLeaves.length < leaves.length && otherLeaves.every((l) => leaves.includes(l));
  });
  const covered = new Set(parts.flatMap((p) => unionLeaves(exprKey(p))));
  if (parts.length === 0 || !leaves.every((l) => covered.has(l))) return undefined;
  return { codes: parts.map((p) => p.code) };
}

/**
 * A union of other reference parameters' expressions each narrowed to the same target type
 * (AuditEvent's patient = agent.who and entity.what that are Patients): those parameters' rows
 * of that target type, so each audit record is indexed once per reference, not twice.
 */
function narrowedLeaves(leaves: string[], byExpression: Map<string, ParamDef>): StoredAs | undefined {
  const codes: string[] = [];
  let targetType: string | undefined;
  for (const leaf of leaves) {
    const narrowed = RESOLVE_IS.exec(stripParens(leaf.trim()));
    const base = narrowed?.[1] ? byExpression.get(`${narrowed[1]}#`) : undefined;
    if (!narrowed?.[2] || base?.type !== 'reference' || (targetType && targetType !== narrowed[2]))
      return undefined;
    targetType = narrowed[2];
    codes.push(base.code);
  }
  return targetType ? { codes, targetType } : undefined;
}

/** The operands of a top-level FHIRPath union `(a | b) | c` -> [a, b, c], unwrapping parentheses. */
function unionLeaves(expression: string): string[] {
  const text = stripParens(expression.trim());
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (parts.length === 0) return [text];
  parts.push(text.slice(start));
  return parts.flatMap((p) => unionLeaves(p));
}

function stripParens(text: string): string {
  if (!text.startsWith('(') || !text.endsWith(')')) return text;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth === 0 && i < text.length - 1) return text; // the first '(' closes before the end
  }
  return stripParens(text.slice(1, -1).trim());
}

function exprKey(def: ParamDef): string {
  return def.expression.child.toString();
}

/** Parameters with the same key index the same values. */
const sameKey = (def: ParamDef): string => `${exprKey(def)}#${def.composite?.text ?? ''}`;

/** Composites index the same values only when their parts are the same expressions. */
const sameParts = (a: ParamDef, b: ParamDef): boolean => a.composite?.text === b.composite?.text;

/** The param names under which a parameter's rows are stored, and the target type it implies. */
export function storedAs(def: ParamDef): StoredAs {
  return def.indexedAs ?? { codes: [def.code] };
}

export function paramFor(resourceType: string, code: string): ParamDef | undefined {
  return paramsFor(resourceType).get(code);
}

function isIndexedType(type: string | undefined): type is IndexedParamType {
  return (INDEXED_PARAM_TYPES as readonly string[]).includes(type ?? '');
}

function toParamDef(resourceType: string, sp: SearchParameter): ParamDef | undefined {
  const code = sp.code;
  if (!code || !sp.expression || !isIndexedType(sp.type) || code === '_compartment') return undefined;
  let expression: FhirPathAtom;
  let impliedSystem: string | undefined;
  let single = false;
  try {
    const details = getSearchParameterDetails(resourceType, sp);
    expression = details.parsedExpression;
    single = sp.type === 'date' && details.array === false && oneRowEach(details.elementDefinitions);
    if (sp.type === 'token') impliedSystem = requiredCodeSystem(details.elementDefinitions);
  } catch {
    // A definition Medplum cannot analyse is left out rather than failing every write.
    return undefined;
  }
  const column = code in COLUMN_PARAMS ? COLUMN_PARAMS[code as ColumnParam] : undefined;
  let composite: CompositeParts | undefined;
  if (sp.type === 'composite') {
    composite = compositeParts(resourceType, sp);
    if (!composite) return undefined;
    // Medplum narrows `Observation | Observation.component` to its second branch; a composite
    // needs both (the Observation's own code and value, and each component's).
    expression = parseFhirPath(sp.expression);
  }
  const memberPath = composite
    ? undefined
    : compileMemberPath(resourceType, unionLeaves(expression.child.toString()));
  return {
    resourceType,
    code,
    type: sp.type,
    expression,
    ...(memberPath ? { memberPath } : {}),
    roots: expressionRoots(resourceType, sp.expression),
    targets: sp.target ?? [],
    ...(column ? { column } : {}),
    ...(sp.description ? { description: sp.description } : {}),
    ...(composite ? { composite } : {}),
    ...(impliedSystem ? { impliedSystem } : {}),
    ...(single && !composite ? { single } : {}),
  };
}

/** Elements whose value is one index row: known, and none a Timing (a row per event). */
function oneRowEach(elements: readonly InternalSchemaElement[] | undefined): boolean {
  return !!elements?.length && elements.every((el) => el.type.every((t) => t.code !== 'Timing'));
}

/** The code system every element of a token parameter is bound to, when all are required-bound `code`s. */
function requiredCodeSystem(elements: readonly InternalSchemaElement[] | undefined): string | undefined {
  if (!elements?.length) return undefined;
  const systems = new Set(
    elements.map((el) =>
      el.type.length === 1 &&
      el.type[0]?.code === 'code' &&
      el.binding?.strength === 'required' &&
      el.binding.valueSet
        ? codeSystemOfValueSet(el.binding.valueSet)
        : undefined,
    ),
  );
  const [system] = systems;
  return systems.size === 1 ? system : undefined;
}

/**
 * The parts of a composite this engine can index: two components, the first a token (a code
 * that says what the second part measures or means). Others (MolecularSequence's coordinates,
 * DocumentReference.relationship, whose R4 definition pairs its parts the wrong way round) are
 * left out, so searching them is an unknown-parameter error rather than a wrong answer.
 */
function compositeParts(resourceType: string, sp: SearchParameter): CompositeParts | undefined {
  const [first, second, ...more] = sp.component ?? [];
  if (!first?.expression || !second?.expression || more.length > 0) return undefined;
  const typeOf = (url: string | undefined) =>
    Object.values(getSearchParameters(resourceType) ?? {}).find((p) => p.url === url)?.type;
  const valueType = typeOf(second.definition);
  if (typeOf(first.definition) !== 'token' || !isCompositeValueType(valueType)) return undefined;
  const walk = compileCompositeWalk(
    resourceType,
    unionLeaves(sp.expression ?? ''),
    unionLeaves(first.expression),
    unionLeaves(second.expression).map(asOperator),
  );
  return {
    ...(walk ? { walk } : {}),
    key: parseFhirPath(first.expression),
    value: parseFhirPath(second.expression),
    valueType,
    valueAs: [...second.expression.matchAll(/\.as\((\w+)\)/g)].map((m) => (m[1] ?? '').toLowerCase()),
    text: `${first.expression}$${second.expression}`,
  };
}

/** `value.as(Quantity)` -> `value as Quantity`, the form member paths are written in. */
const asOperator = (leaf: string): string => leaf.replace(/\.as\((\w+)\)$/, ' as $1');

function isCompositeValueType(type: string | undefined): type is CompositeValueType {
  return (COMPOSITE_VALUE_TYPES as readonly string[]).includes(type ?? '');
}

/** The first property after `Type.` in every union branch that belongs to this resource type. */
function expressionRoots(resourceType: string, expression: string): string[] | undefined {
  const branches = expression
    .split('|')
    .map((b) => b.trim())
    .filter((b) => b.includes(`${resourceType}.`));
  const roots = new Set<string>();
  const pattern = new RegExp(`^\\(?\\s*${resourceType}\\.([A-Za-z]+)`);
  for (const branch of branches) {
    const match = pattern.exec(branch);
    if (!match?.[1]) return undefined;
    // value[x]-style choice roots appear as e.g. `Observation.value as Quantity`: the JSON key
    // is valueQuantity, so we match on the prefix later.
    roots.add(match[1]);
  }
  return roots.size > 0 ? [...roots] : undefined;
}
