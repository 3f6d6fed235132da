import { evalFhirPathTyped, getElementDefinition, toTypedValue, type TypedValue } from '@medplum/core';
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { assertValidResource } from './definitions.ts';
import { badRequest, unprocessable } from './outcomes.ts';

/**
 * FHIR PATCH as FHIRPath Patch (R4 fhirpatch.html): a Parameters resource of `operation`s (add,
 * insert, delete, replace, move), each naming its target by a FHIRPath expression, applied in
 * order to a copy of the current version. Paths are evaluated by Medplum's FHIRPath engine; an
 * element it selects is found in the copy by identity, a primitive through its parent's member.
 */
export function applyFhirPathPatch(current: Resource, body: unknown): unknown {
  const params = body as Parameters | null;
  if (params?.resourceType !== 'Parameters')
    throw badRequest('A FHIRPath Patch is a Parameters resource with one or more operation parameters');
  // A valid Parameters resource first: every part below is then of the shape R4 gives it.
  assertValidResource(params);
  if (!params.parameter?.length) throw badRequest('A FHIRPath Patch needs one or more operation parameters');
  const resource = structuredClone(current) as unknown as Node;
  params.parameter.forEach((p, i) => {
    if (p.name !== 'operation')
      throw badRequest(`FHIRPath Patch parameter ${i} is '${p.name}', not operation`);
    applyOperation(resource, readOperation(p, i));
  });
  return resource;
}

type Node = Record<string, unknown>;

interface Operation {
  at: string;
  type: string;
  path: string;
  name?: string;
  value?: unknown;
  index?: number;
  source?: number;
  destination?: number;
}

function readOperation(p: ParametersParameter, i: number): Operation {
  const parts = new Map((p.part ?? []).map((part) => [part.name, part]));
  const type = parts.get('type')?.valueCode;
  const path = parts.get('path')?.valueString;
  if (!type || !path) throw badRequest(`FHIRPath Patch operation ${i} needs a type and a path`);
  const valuePart = parts.get('value');
  const op: Operation = { at: `FHIRPath Patch operation ${i} (${type} ${path})`, type, path };
  const name = parts.get('name')?.valueString;
  if (name !== undefined) op.name = name;
  if (valuePart) op.value = valueOf(valuePart);
  for (const key of ['index', 'source', 'destination'] as const) {
    const n = parts.get(key)?.valueInteger;
    if (n !== undefined) op[key] = n;
  }
  return op;
}

/** A part's value: its `value[x]`, or for a complex value its parts as the element's members. */
function valueOf(part: ParametersParameter): unknown {
  const key = Object.keys(part).find((k) => k.startsWith('value'));
  if (key) return (part as unknown as Record<string, unknown>)[key];
  if (!part.part?.length) return undefined;
  return Object.fromEntries(part.part.map((p) => [p.name, valueOf(p)]));
}

function applyOperation(resource: Node, op: Operation): void {
  switch (op.type) {
    case 'add': {
      if (!op.name || op.value === undefined) throw badRequest(`${op.at}: add needs a name and a value`);
      const [found, ...more] = evaluateTyped(resource, op);
      const target: unknown = found?.value;
      if (!found || more.length > 0 || !isNode(target))
        throw unprocessable(`${op.at}: the path must select exactly one element that can hold '${op.name}'`);
      const existing = target[op.name];
      // A repeating element is a list even when this adds its first item.
      const repeats = getElementDefinition(found.type, op.name)?.max !== 1;
      if (Array.isArray(existing)) existing.push(op.value);
      else if (existing === undefined) target[op.name] = repeats ? [op.value] : op.value;
      else throw unprocessable(`${op.at}: '${op.name}' is already there; replace it instead`);
      return;
    }
    case 'replace':
    case 'delete': {
      if (op.type === 'replace' && op.value === undefined)
        throw badRequest(`${op.at}: replace needs a value`);
      const found = evaluate(resource, op);
      if (found.length === 0 && op.type === 'delete') return;
      const slot = slotOf(resource, op, single(op, found));
      if (op.type === 'replace') slot.set(op.value);
      else slot.remove();
      return;
    }
    case 'insert':
    case 'move': {
      const list = listOf(resource, op);
      if (op.type === 'insert') {
        if (op.value === undefined || op.index === undefined)
          throw badRequest(`${op.at}: insert needs an index and a value`);
        if (op.index < 0 || op.index > list.length)
          throw unprocessable(`${op.at}: index ${op.index} is outside the list`);
        list.splice(op.index, 0, op.value);
      } else {
        const { source, destination } = op;
        if (source === undefined || destination === undefined)
          throw badRequest(`${op.at}: move needs a source and a destination`);
        if (source < 0 || source >= list.length || destination < 0 || destination >= list.length)
          throw unprocessable(`${op.at}: source or destination is outside the list`);
        const [moved] = list.splice(source, 1);
        list.splice(destination, 0, moved);
      }
      return;
    }
    default:
      throw badRequest(`${op.at}: unknown operation type (add, insert, delete, replace or move)`);
  }
}

function evaluateTyped(resource: Node, op: Operation, path = op.path): TypedValue[] {
  try {
    return evalFhirPathTyped(path, [toTypedValue(resource)]);
  } catch (err) {
    throw badRequest(`${op.at}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const evaluate = (resource: Node, op: Operation, path = op.path): unknown[] =>
  evaluateTyped(resource, op, path).map((tv) => tv.value as unknown);

function single(op: Operation, found: unknown[]): unknown {
  if (found.length !== 1)
    throw unprocessable(`${op.at}: the path selects ${found.length} elements; it must select exactly one`);
  return found[0];
}

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v);

interface Slot {
  set(value: unknown): void;
  remove(): void;
}

/** Where a selected element lives: found by identity, or (a primitive) through `parent.member[i]`. */
function slotOf(resource: Node, op: Operation, element: unknown): Slot {
  const byIdentity = isNode(element) ? findSlot(resource, element) : undefined;
  if (byIdentity) return byIdentity;
  const m = /^(.+)\.([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$/.exec(op.path);
  const parent = m?.[1] ? evaluate(resource, op, m[1]).filter(isNode) : [];
  const holder = parent.length === 1 ? parent[0] : undefined;
  const name = m?.[2] ?? '';
  const value = holder?.[name];
  if (!holder || value === undefined) throw unprocessable(`${op.at}: the element's place could not be found`);
  if (!Array.isArray(value)) return memberSlot(holder, name);
  const index = m?.[3] !== undefined ? Number(m[3]) : value.length === 1 ? 0 : -1;
  if (index < 0 || index >= value.length)
    throw unprocessable(`${op.at}: the element's place could not be found`);
  return itemSlot(holder, name, value, index);
}

function findSlot(node: Node, target: Node): Slot | undefined {
  for (const [key, value] of Object.entries(node)) {
    if (value === target) return memberSlot(node, key);
    if (Array.isArray(value)) {
      const i = value.indexOf(target);
      if (i >= 0) return itemSlot(node, key, value, i);
      for (const item of value) {
        const found = isNode(item) ? findSlot(item, target) : undefined;
        if (found) return found;
      }
    } else if (isNode(value)) {
      const found = findSlot(value, target);
      if (found) return found;
    }
  }
  return undefined;
}

const memberSlot = (holder: Node, name: string): Slot => ({
  set: (value) => (holder[name] = value),
  remove: () => delete holder[name],
});

const itemSlot = (holder: Node, name: string, list: unknown[], index: number): Slot => ({
  set: (value) => (list[index] = value),
  remove: () => {
    list.splice(index, 1);
    // FHIR JSON has no empty lists: the last item gone, the element goes.
    if (list.length === 0) delete holder[name];
  },
});

/** The list an insert or move works on: `parent.member`, the parent selected exactly once. */
function listOf(resource: Node, op: Operation): unknown[] {
  const m = /^(.+)\.([A-Za-z][A-Za-z0-9]*)$/.exec(op.path);
  const parents = m?.[1] ? evaluate(resource, op, m[1]).filter(isNode) : [];
  if (!m?.[2] || parents.length !== 1 || !parents[0])
    throw unprocessable(`${op.at}: the path must name a list of one element, such as Patient.identifier`);
  const holder = parents[0];
  const existing = holder[m[2]];
  if (Array.isArray(existing)) return existing;
  if (existing !== undefined) throw unprocessable(`${op.at}: ${m[2]} is not a list`);
  const created: unknown[] = [];
  holder[m[2]] = created;
  return created;
}
