import { capitalize, getDataType, isEmpty, type TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

/**
 * Most search parameter expressions are plain member paths: `Observation.subject`,
 * `Observation.component.code`, `(Observation.value as Quantity)`, or unions of such. Walking
 * them over the JSON with the element types of the R4 definitions gives the values FHIRPath
 * evaluation gives, typed the same way, at a small fraction of the cost: extraction runs for
 * every write, and every read writes an AuditEvent. Expressions with functions or filters
 * (`where(resolve() is Patient)`, `extension(...)`) are not compiled and stay with FHIRPath.
 *
 * One deliberate difference: a primitive that carries an extension (`birthDate` beside
 * `_birthDate`) is indexed by its value here, where FHIRPath wraps it in an object that no
 * index type reads.
 */
export type MemberPath = (resource: Resource) => TypedValue[];

interface Leaf {
  steps: string[];
  asType: string | undefined;
}

type Elements = Record<string, { type: Array<{ code: string }> } | undefined>;

const LEAF = /^([A-Z][A-Za-z]*)((?:\.[a-z][A-Za-z0-9]*)+)(?:\s+as\s+([A-Za-z][A-Za-z0-9]*))?$/;

const elementsByType = new Map<string, Elements | undefined>();

function elementsOf(type: string): Elements | undefined {
  if (!elementsByType.has(type)) {
    let elements: Elements | undefined;
    try {
      elements = getDataType(type).elements;
    } catch {
      elements = undefined;
    }
    elementsByType.set(type, elements);
  }
  return elementsByType.get(type);
}

/**
 * The walker for the union of `leaves` (the operands of the expression's top-level unions, their
 * parentheses already removed, as search/definitions.ts splits them), or undefined when one of
 * them is not a plain member path. Emptiness is FHIRPath's own (`isEmpty`: missing, '', [], {}).
 */
export function compileMemberPath(resourceType: string, leaves: string[]): MemberPath | undefined {
  const parsed: Leaf[] = [];
  for (const text of leaves) {
    const leafText = text.trim();
    // A branch for another resource type yields nothing on this one (`CarePlan.subject` on an
    // Observation), whatever it holds.
    if (!leafText.startsWith(`${resourceType}.`) && /^[A-Z][A-Za-z]*\./.test(leafText)) continue;
    const m = LEAF.exec(leafText);
    if (!m?.[2] || m[1] !== resourceType) return undefined;
    const leaf = { steps: m[2].slice(1).split('.'), asType: m[3] };
    if (!resolvesStatically(resourceType, leaf.steps)) return undefined;
    parsed.push(leaf);
  }
  if (parsed.length === 0) return undefined;
  return (resource) => {
    const out: TypedValue[] = [];
    for (const leaf of parsed) walk({ type: resourceType, value: resource }, leaf, 0, out);
    return out;
  };
}

/** Every step names an element of every type the step before can have (Resource is unknown). */
function resolvesStatically(resourceType: string, steps: string[]): boolean {
  let types = [resourceType];
  for (const name of steps) {
    const next = stepTypes(types, name);
    if (!next) return false;
    if (next.some((t) => t === 'Resource' || !elementsOf(t))) {
      // The last step may end in a primitive or a contained resource; only walking on needs a schema.
      if (name !== steps[steps.length - 1]) return false;
    }
    types = next;
  }
  return true;
}

function elementFor(type: string, name: string): { types: string[]; choice: boolean } | undefined {
  const elements = elementsOf(type);
  const plain = elements?.[name];
  if (plain) return { types: plain.type.map((t) => t.code), choice: false };
  const choice = elements?.[`${name}[x]`];
  return choice ? { types: choice.type.map((t) => t.code), choice: true } : undefined;
}

function walk(from: TypedValue, leaf: Leaf, step: number, out: TypedValue[]): void {
  if (step === leaf.steps.length) {
    // Case-insensitive: composite parts write `value.as(DateTime)` for the type dateTime.
    if (!leaf.asType || from.type.toLowerCase() === leaf.asType.toLowerCase()) out.push(from);
    return;
  }
  const name = leaf.steps[step] as string;
  const element = elementFor(from.type, name);
  const obj = from.value as Record<string, unknown>;
  if (!element || !obj || typeof obj !== 'object') return;
  let value: unknown;
  let type: string | undefined;
  if (element.choice) {
    for (const code of element.types) {
      const key = name + capitalize(code);
      if (obj[key] !== undefined) {
        value = obj[key];
        type = code;
        break;
      }
    }
  } else {
    value = obj[name];
    type = element.types[0];
  }
  if (type === undefined || isEmpty(value)) return;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (item === null || item === undefined) continue;
    const itemType =
      type === 'Resource' && typeof (item as Resource).resourceType === 'string'
        ? (item as Resource).resourceType
        : type;
    walk({ type: itemType, value: item }, leaf, step + 1, out);
  }
}

/** Each element a composite's expression yields, with the values of its two parts. */
export type CompositeWalk = (resource: Resource) => Array<{ keys: TypedValue[]; values: TypedValue[] }>;

/**
 * A composite's walk: its base leaves from the resource (the resource itself for a bare type
 * name, `Observation`), then each part's leaves from every base element. Undefined unless every
 * expression is a plain member path for every element type the base can yield; FHIRPath then
 * evaluates the composite instead.
 */
export function compileCompositeWalk(
  resourceType: string,
  baseLeaves: string[],
  keyLeaves: string[],
  valueLeaves: string[],
): CompositeWalk | undefined {
  const own = baseLeaves.map((l) => l.trim());
  const self = own.includes(resourceType);
  const members = own.filter((l) => l.startsWith(`${resourceType}.`));
  const base = members.length > 0 ? compileMemberPath(resourceType, members) : undefined;
  if ((members.length > 0 && !base) || (!self && !base)) return undefined;
  const elementTypes = new Set<string>(self ? [resourceType] : []);
  for (const leaf of members) {
    const types = finalTypes(resourceType, leaf.slice(resourceType.length + 1).split('.'));
    if (!types) return undefined;
    for (const t of types) elementTypes.add(t);
  }
  const parts = new Map<string, { key: MemberPath; value: MemberPath }>();
  for (const type of elementTypes) {
    const key = compileMemberPath(
      type,
      keyLeaves.map((l) => `${type}.${l.trim()}`),
    );
    const value = compileMemberPath(
      type,
      valueLeaves.map((l) => `${type}.${l.trim()}`),
    );
    if (!key || !value) return undefined;
    parts.set(type, { key, value });
  }
  return (resource) => {
    const elements: TypedValue[] = self ? [{ type: resourceType, value: resource }] : [];
    if (base) elements.push(...base(resource));
    return elements.flatMap((element) => {
      const walk = parts.get(element.type);
      const value = element.value as Resource;
      return walk ? [{ keys: walk.key(value), values: walk.value(value) }] : [];
    });
  };
}

/** The element types a member path ends in, or undefined when a step is not in the schema. */
function finalTypes(resourceType: string, steps: string[]): string[] | undefined {
  let types: string[] | undefined = [resourceType];
  for (const name of steps) types = types && stepTypes(types, name);
  return types;
}

/** The types one member step leads to from each of `types`; undefined when one lacks it. */
function stepTypes(types: string[], name: string): string[] | undefined {
  const next: string[] = [];
  for (const type of types) {
    const element = elementFor(type, name);
    if (!element) return undefined;
    next.push(...element.types);
  }
  return next;
}
